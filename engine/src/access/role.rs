//! Roles, the grants that bind them to business lines, and the scopes of API tokens.

use serde::{Deserialize, Serialize};

/// What a person may do, per business line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Uploads, previews and submits packs, and cancels and retries their own runs.
    Requester,
    /// Approves or rejects plans.
    Approver,
    /// Everything, on every business line: users, roles, workspaces, settings.
    Admin,
    /// Reads everything, changes nothing.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Requester, Role::Approver, Role::Admin, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Approver => "approver",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }

    /// Admins administer the whole portal; the other roles may be held per business line.
    pub fn is_global_only(self) -> bool {
        self == Role::Admin
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Text that names no role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a role (requester, approver, admin or auditor)")]
pub struct UnknownRole(pub String);

impl std::str::FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|role| role.as_str().eq_ignore_ascii_case(text.trim())).ok_or_else(|| UnknownRole(text.to_string()))
    }
}

/// A role on one business line, or on all of them (`business_line: None`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub business_line: Option<String>,
}

impl Grant {
    pub fn new(role: Role, business_line: Option<&str>) -> Grant {
        let business_line = business_line.map(str::trim).filter(|line| !line.is_empty()).map(str::to_string);
        Grant { role, business_line }
    }

    pub fn everywhere(role: Role) -> Grant {
        Grant { role, business_line: None }
    }

    /// Whether this grant covers the business line (`None`: some business line, any).
    pub fn covers(&self, business_line: Option<&str>) -> bool {
        match (&self.business_line, business_line) {
            (None, _) | (Some(_), None) => true,
            (Some(held), Some(line)) => same_line(held, line),
        }
    }
}

impl std::fmt::Display for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.business_line {
            Some(line) => write!(f, "{} for {line}", self.role),
            None => write!(f, "{} for every business line", self.role),
        }
    }
}

/// Business lines are compared as people write them: without regard to case or surrounding space.
pub fn same_line(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// What an API token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Reading share packs, runs and their status.
    Read,
    /// Validating, planning and submitting packs; cancelling and retrying runs.
    Submit,
    /// Approving and rejecting plans.
    Approve,
    /// Scraping `/metrics` (only administrators make such tokens).
    Metrics,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Submit, Scope::Approve, Scope::Metrics];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Submit => "submit",
            Scope::Approve => "approve",
            Scope::Metrics => "metrics",
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes, written `read,submit`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    pub fn all() -> Scopes {
        Scopes(Scope::ALL.to_vec())
    }

    pub fn of(scopes: impl IntoIterator<Item = Scope>) -> Scopes {
        let mut scopes: Vec<Scope> = scopes.into_iter().collect();
        scopes.sort();
        scopes.dedup();
        Scopes(scopes)
    }

    pub fn has(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|scope| scope.as_str()).collect();
        f.write_str(&names.join(","))
    }
}

/// Text that is not a list of scopes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a scope (read, submit, approve or metrics, comma-separated)")]
pub struct UnknownScope(pub String);

impl std::str::FromStr for Scopes {
    type Err = UnknownScope;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let scopes = text
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| {
                Scope::ALL.into_iter().find(|scope| scope.as_str().eq_ignore_ascii_case(name)).ok_or_else(|| UnknownScope(name.into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if scopes.is_empty() {
            return Err(UnknownScope(text.to_string()));
        }
        Ok(Scopes::of(scopes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_scopes_read_back() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("owner".parse::<Role>().is_err());
        let scopes: Scopes = "submit, read,read".parse().unwrap();
        assert_eq!(scopes.to_string(), "read,submit");
        assert!("read,write".parse::<Scopes>().is_err());
        assert!("".parse::<Scopes>().is_err());
    }

    #[test]
    fn grants_cover_their_business_line() {
        let legal = Grant::new(Role::Requester, Some(" Legal "));
        assert!(legal.covers(Some("legal")));
        assert!(!legal.covers(Some("Corporate Finance")));
        assert!(legal.covers(None));
        assert!(Grant::everywhere(Role::Auditor).covers(Some("anything")));
        assert_eq!(Grant::new(Role::Approver, Some("  ")), Grant::everywhere(Role::Approver));
    }
}
