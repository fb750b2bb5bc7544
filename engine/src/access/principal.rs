//! The signed-in identity behind a request and the one function that says what it may do.
//! Every page, server function, REST endpoint, event stream and CLI command asks here.

use super::role::{same_line, Grant, Role, Scope, Scopes};
use crate::error::{Class, Problem};
use crate::identity::Actor;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who a request acts for, as the sign-in established it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub user_id: Uuid,
    /// Lower-case e-mail: what records of who keep.
    pub email: String,
    pub display_name: String,
    pub grants: Vec<Grant>,
    pub via: Via,
}

/// How the request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// A browser session.
    Session,
    /// An API token, limited to its scopes.
    Token { name: String, scopes: Scopes },
    /// The REST API left open for a trusted network (`SHAREPACK_OPEN_REST`): nobody in
    /// particular, recorded as anonymous.
    Open,
    /// The command line, run by someone holding the database's credentials.
    Operator,
}

/// Something a principal may want to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Read share packs, runs, history and audit entries.
    Read,
    /// Upload, validate, plan and submit packs.
    Request,
    /// Cancel or retry a run.
    Control,
    /// Approve or reject a plan.
    Approve,
    /// Users, roles, workspaces and settings.
    Administer,
    /// Read the service's metrics: an administrator, or a token with the metrics scope.
    Observe,
}

impl Act {
    fn scope(self) -> Option<Scope> {
        match self {
            Act::Read => Some(Scope::Read),
            Act::Request | Act::Control => Some(Scope::Submit),
            Act::Approve => Some(Scope::Approve),
            Act::Administer => None,
            Act::Observe => Some(Scope::Metrics),
        }
    }

    fn words(self) -> &'static str {
        match self {
            Act::Read => "reading",
            Act::Request => "submitting packs",
            Act::Control => "cancelling or retrying runs",
            Act::Approve => "approving plans",
            Act::Administer => "administration",
            Act::Observe => "reading metrics",
        }
    }
}

/// Whose something is: its business line (none for packs that could not be read) and who
/// asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner<'a> {
    pub business_line: Option<&'a str>,
    pub requested_by: &'a str,
}

/// What a principal may see in lists, for queries to filter by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    All,
    /// The business lines held, and what the person asked for themselves.
    Some {
        business_lines: Vec<String>,
        person: String,
    },
}

impl Visibility {
    pub fn sees(&self, owner: &Owner<'_>) -> bool {
        match self {
            Visibility::All => true,
            Visibility::Some { business_lines, person } => {
                owner.requested_by.eq_ignore_ascii_case(person)
                    || owner.business_line.is_some_and(|line| business_lines.iter().any(|held| same_line(held, line)))
            }
        }
    }
}

impl Principal {
    /// The identity of the open REST API (`SHAREPACK_OPEN_REST`): requests and reads on every
    /// business line, and controls only the runs it asked for itself.
    pub fn open_rest() -> Principal {
        Principal {
            user_id: Uuid::nil(),
            email: Actor::Anonymous.name().to_string(),
            display_name: "Open REST API".into(),
            grants: vec![Grant::everywhere(Role::Requester), Grant::everywhere(Role::Auditor)],
            via: Via::Open,
        }
    }

    /// The operator at the command line: an administrator, recorded as the operator.
    pub fn operator() -> Principal {
        Principal {
            user_id: Uuid::nil(),
            email: Actor::Operator.name().to_string(),
            display_name: "Operator".into(),
            grants: vec![Grant::everywhere(Role::Admin)],
            via: Via::Operator,
        }
    }

    /// What records of who keep for this principal.
    pub fn actor(&self) -> Actor {
        match self.via {
            Via::Open => Actor::Anonymous,
            Via::Operator => Actor::Operator,
            Via::Session | Via::Token { .. } => Actor::Person(self.email.clone()),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.grants.iter().any(|grant| grant.role == Role::Admin)
    }

    /// Holds the role on the business line (`None`: on some business line). Admins hold every
    /// role everywhere.
    pub fn holds(&self, role: Role, business_line: Option<&str>) -> bool {
        self.grants.iter().any(|grant| (grant.role == role || grant.role == Role::Admin) && grant.covers(business_line))
    }

    pub fn visibility(&self) -> Visibility {
        // Any role on every business line sees every business line.
        let everywhere = self.grants.iter().any(|grant| grant.business_line.is_none());
        if everywhere {
            return Visibility::All;
        }
        let mut business_lines: Vec<String> = self.grants.iter().filter_map(|grant| grant.business_line.clone()).collect();
        business_lines.sort();
        business_lines.dedup();
        Visibility::Some { business_lines, person: self.email.clone() }
    }

    /// Whether the principal may know the thing exists. Things they may not see are "not
    /// found" to them, exactly like things that do not exist ([`Principal::reveal`]).
    pub fn sees(&self, owner: &Owner<'_>) -> bool {
        self.visibility().sees(owner)
    }

    /// Allows reading one thing, or answers that it does not exist (the same answer as for an
    /// id nobody used, so ids of other business lines tell nothing).
    pub fn reveal(&self, owner: &Owner<'_>, what: &str, id: &str) -> Result<(), Problem> {
        self.scope_allows(Act::Read)?;
        if self.sees(owner) {
            Ok(())
        } else {
            Err(Problem::not_found(what, id))
        }
    }

    /// Allows an act, on something owned as `owner` says (`None`: before it is known, e.g. a
    /// file not yet read), or answers 403 naming the role that is missing.
    pub fn require(&self, act: Act, owner: Option<&Owner<'_>>) -> Result<(), Problem> {
        if act == Act::Observe {
            // A token needs the metrics scope, whoever owns it (an administrator's `read` token
            // is scoped like anyone's); an administrator signed in needs none.
            let allowed = match &self.via {
                Via::Token { scopes, .. } => scopes.has(Scope::Metrics),
                Via::Session | Via::Operator => self.is_admin(),
                Via::Open => false,
            };
            return match allowed {
                true => Ok(()),
                false => {
                    Err(Problem::new(Class::Forbidden, "scope_missing", "Metrics are for administrators and tokens with the metrics scope")
                        .hint("Ask an administrator for a token with the metrics scope"))
                }
            };
        }
        self.scope_allows(act)?;
        let line = owner.and_then(|owner| owner.business_line);
        let needed = match act {
            Act::Read => return if self.grants.is_empty() { Err(no_role()) } else { Ok(()) },
            Act::Request | Act::Control => Role::Requester,
            Act::Approve => Role::Approver,
            Act::Administer | Act::Observe => Role::Admin,
        };
        if owner.is_some() && line.is_none() && !self.is_admin() && needed != Role::Admin {
            // Something with no business line (a pack that could not be read) is its
            // requester's alone.
            let mine = owner.is_some_and(|owner| owner.requested_by.eq_ignore_ascii_case(&self.email));
            return if mine && self.holds(needed, None) { Ok(()) } else { Err(missing(needed, None)) };
        }
        if !self.holds(needed, line) {
            return Err(if self.grants.is_empty() { no_role() } else { missing(needed, line) });
        }
        if act == Act::Control && !self.is_admin() {
            let requested_by = owner.map(|owner| owner.requested_by).unwrap_or_default();
            if !requested_by.eq_ignore_ascii_case(&self.email) {
                return Err(Problem::new(
                    Class::Forbidden,
                    "not_your_run",
                    format!("Only {requested_by}, who submitted this run, or an administrator can cancel or retry it"),
                )
                .hint("Ask them, or an administrator"));
            }
        }
        Ok(())
    }

    fn scope_allows(&self, act: Act) -> Result<(), Problem> {
        let Via::Token { scopes, .. } = &self.via else { return Ok(()) };
        match act.scope() {
            Some(scope) if scopes.has(scope) => Ok(()),
            Some(scope) => Err(Problem::new(
                Class::Forbidden,
                "scope_missing",
                format!("This API token's scope is {scopes}; {} needs the {scope} scope", act.words()),
            )
            .hint("Create a token with that scope on the Tokens page or with `sharepack tokens create`")),
            None => Err(Problem::new(Class::Forbidden, "scope_missing", format!("API tokens cannot be used for {}", act.words()))
                .hint("Sign in to the portal as an administrator")),
        }
    }
}

fn missing(role: Role, business_line: Option<&str>) -> Problem {
    let message = match business_line {
        Some(line) => format!("This needs the {role} role for business line {line}, which you do not hold"),
        None => format!("This needs the {role} role, which you do not hold"),
    };
    Problem::new(Class::Forbidden, "role_missing", message).hint("Ask a Sharepack administrator to grant it")
}

fn no_role() -> Problem {
    Problem::new(Class::Forbidden, "role_missing", "You are signed in but hold no role in Sharepack yet")
        .hint("Ask a Sharepack administrator to grant you a role for your business line")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(grants: &[(Role, Option<&str>)]) -> Principal {
        Principal {
            user_id: Uuid::nil(),
            email: "ada@example.com".into(),
            display_name: "Ada".into(),
            grants: grants.iter().map(|(role, line)| Grant::new(*role, *line)).collect(),
            via: Via::Session,
        }
    }

    const LEGAL_MINE: Owner<'static> = Owner { business_line: Some("Legal"), requested_by: "ada@example.com" };
    const LEGAL_THEIRS: Owner<'static> = Owner { business_line: Some("Legal"), requested_by: "bob@example.com" };
    const FINANCE: Owner<'static> = Owner { business_line: Some("Finance"), requested_by: "bob@example.com" };

    #[test]
    fn requesters_act_on_their_business_lines_only() {
        let ada = person(&[(Role::Requester, Some("legal"))]);
        assert!(ada.require(Act::Request, Some(&LEGAL_MINE)).is_ok());
        assert!(ada.require(Act::Request, None).is_ok());
        let refused = ada.require(Act::Request, Some(&FINANCE)).unwrap_err();
        assert_eq!((refused.class, refused.code.as_str()), (Class::Forbidden, "role_missing"));
        assert!(refused.message.contains("requester role for business line Finance"), "{}", refused.message);
        assert!(ada.require(Act::Control, Some(&LEGAL_MINE)).is_ok());
        assert_eq!(ada.require(Act::Control, Some(&LEGAL_THEIRS)).unwrap_err().code, "not_your_run");
        assert_eq!(ada.require(Act::Approve, Some(&LEGAL_MINE)).unwrap_err().code, "role_missing");
        assert_eq!(ada.require(Act::Administer, None).unwrap_err().code, "role_missing");
    }

    #[test]
    fn other_business_lines_are_not_found() {
        let ada = person(&[(Role::Requester, Some("Legal"))]);
        assert!(ada.reveal(&LEGAL_THEIRS, "run", "1").is_ok());
        let hidden = ada.reveal(&FINANCE, "run", "1").unwrap_err();
        assert_eq!(hidden, Problem::not_found("run", "1"));
        // What they asked for themselves stays theirs even without a business line.
        assert!(ada.reveal(&Owner { business_line: None, requested_by: "ADA@example.com" }, "upload", "1").is_ok());
        assert!(ada.reveal(&Owner { business_line: None, requested_by: "bob@example.com" }, "upload", "1").is_err());
    }

    #[test]
    fn admins_and_auditors_see_everything_and_only_admins_change_it() {
        let admin = person(&[(Role::Admin, None)]);
        assert_eq!(admin.visibility(), Visibility::All);
        assert!(admin.require(Act::Control, Some(&FINANCE)).is_ok());
        let auditor = person(&[(Role::Auditor, None)]);
        assert!(auditor.reveal(&FINANCE, "run", "1").is_ok());
        assert_eq!(auditor.require(Act::Request, Some(&FINANCE)).unwrap_err().code, "role_missing");
        assert_eq!(person(&[]).require(Act::Read, None).unwrap_err().code, "role_missing");
    }

    #[test]
    fn tokens_are_limited_to_their_scopes() {
        let mut ada = person(&[(Role::Requester, Some("Legal")), (Role::Admin, None)]);
        ada.via = Via::Token { name: "ci".into(), scopes: Scopes::of([Scope::Read]) };
        assert!(ada.reveal(&FINANCE, "run", "1").is_ok());
        let refused = ada.require(Act::Request, Some(&LEGAL_MINE)).unwrap_err();
        assert_eq!(refused.code, "scope_missing");
        assert!(refused.message.contains("needs the submit scope"), "{}", refused.message);
        assert_eq!(ada.require(Act::Administer, None).unwrap_err().code, "scope_missing");
        ada.via = Via::Token { name: "ci".into(), scopes: Scopes::of([Scope::Submit]) };
        assert_eq!(ada.reveal(&LEGAL_MINE, "run", "1").unwrap_err().code, "scope_missing");
    }

    #[test]
    fn the_open_rest_api_is_anonymous() {
        let open = Principal::open_rest();
        assert_eq!(open.actor(), Actor::Anonymous);
        assert!(open.require(Act::Request, Some(&FINANCE)).is_ok());
        assert_eq!(open.require(Act::Control, Some(&FINANCE)).unwrap_err().code, "not_your_run");
        assert!(open.require(Act::Control, Some(&Owner { business_line: Some("Finance"), requested_by: "anonymous" })).is_ok());
        assert!(open.require(Act::Administer, None).is_err());
    }
}
