//! Who acts. Every record that says who (`created_by`, `requested_by`, audit entries, cancel
//! and retry) takes an [`Actor`], never free text. Requests get theirs from the signed-in
//! [`Principal`](crate::access::Principal) only; workers act as themselves or, applying a
//! run, as the person who submitted it.

use serde::{Deserialize, Serialize};

/// Longest actor name kept (the store's `created_by` columns are 255 characters).
pub const MAX_NAME: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// A person, by the e-mail they signed in with.
    Person(String),
    /// Nobody in particular: the open REST API (`SHAREPACK_OPEN_REST`), runs from before sign-in.
    Anonymous,
    /// Sharepack's own workers and housekeeping.
    Worker,
    /// An operator at the command line (`sharepack users`, `sharepack tokens`), trusted by
    /// holding the database's credentials.
    Operator,
}

impl Actor {
    /// A person by a name a record already holds (a run's requester, established by their
    /// sign-in when they submitted): trimmed, at most [`MAX_NAME`] characters, or
    /// [`Actor::Anonymous`] when empty.
    pub fn named(name: Option<&str>) -> Actor {
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
            Actor::Operator => "operator (command line)",
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
        assert_eq!(Actor::named(Some("  ada@example.com ")), Actor::Person("ada@example.com".into()));
        assert_eq!(Actor::named(Some("   ")), Actor::Anonymous);
        assert_eq!(Actor::named(None).name(), "anonymous");
        assert_eq!(Actor::named(Some(&"x".repeat(400))).name().len(), MAX_NAME);
    }
}
