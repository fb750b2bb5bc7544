//! Who acts. Every record that says who (`created_by`, `requested_by`, audit entries, cancel
//! and retry) takes an [`Actor`], never free text, so that where the actor comes from (today
//! what a form or request says; later the signed-in identity) is decided in one place.

use serde::{Deserialize, Serialize};

/// Longest actor name kept (the store's `created_by` columns are 255 characters).
pub const MAX_NAME: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// A person, by the name or e-mail they gave.
    Person(String),
    /// Someone who did not say who they are (a script calling the REST API).
    Anonymous,
    /// Sharepack's own workers and housekeeping.
    Worker,
}

impl Actor {
    /// A person by the name they gave (trimmed, at most [`MAX_NAME`] characters), or
    /// [`Actor::Anonymous`] when they gave none.
    pub fn claimed(name: Option<&str>) -> Actor {
        match name.map(str::trim).filter(|name| !name.is_empty()) {
            Some(name) => Actor::Person(name.chars().take(MAX_NAME).collect()),
            None => Actor::Anonymous,
        }
    }

    /// The name records keep.
    pub fn name(&self) -> &str {
        match self {
            Actor::Person(name) => name,
            Actor::Anonymous => "anonymous",
            Actor::Worker => "worker",
        }
    }

    pub fn is_person(&self) -> bool {
        matches!(self, Actor::Person(_))
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Actor::claimed(Some("  ada@example.com ")), Actor::Person("ada@example.com".into()));
        assert_eq!(Actor::claimed(Some("   ")), Actor::Anonymous);
        assert_eq!(Actor::claimed(None).name(), "anonymous");
        assert_eq!(Actor::claimed(Some(&"x".repeat(400))).name().len(), MAX_NAME);
    }
}
