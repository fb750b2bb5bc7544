//! Which plans need whose approval. A rule per business line and workspace (the most specific
//! wins) gives how many approvals a plan needs and when one must be an administrator's; by
//! default a plan that removes something or creates a first external (open sharing) recipient
//! needs one even where the rule asks for none.

use crate::access::same_line;
use crate::plan::{ActionKind, Plan, ResourceType};
use serde::{Deserialize, Serialize};

/// What a business line and workspace ask of a plan. Missing fields take the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rule {
    /// Approvals every plan needs (0: none).
    pub approvals: u32,
    /// Plans that remove something, or create an external recipient, need at least one.
    pub risky_needs_one: bool,
    /// One of the approvals must be an administrator's when the plan removes something.
    pub admin_for_removals: bool,
    /// One of the approvals must be an administrator's when the plan creates an external recipient.
    pub admin_for_new_external: bool,
}

impl Default for Rule {
    fn default() -> Self {
        Rule { approvals: 1, risky_needs_one: true, admin_for_removals: false, admin_for_new_external: false }
    }
}

/// A rule for one business line and/or workspace (`None`: any).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    #[serde(default)]
    pub business_line: Option<String>,
    #[serde(default)]
    pub workspace_url: Option<String>,
    #[serde(flatten)]
    pub rule: Rule,
}

/// The whole policy: a default rule, and rules for business lines and workspaces. As a setting
/// (`SHAREPACK_APPROVALS`) it reads `{"approvals": 1, "overrides": [{"business_line": "Legal",
/// "approvals": 2, "admin_for_removals": true}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    #[serde(flatten)]
    pub default: Rule,
    #[serde(default)]
    pub overrides: Vec<Override>,
}

const RULE_FIELDS: [&str; 4] = ["approvals", "risky_needs_one", "admin_for_removals", "admin_for_new_external"];

impl Policy {
    /// Reads the setting, refusing fields it does not know (a misspelt rule must not pass
    /// silently as a more lenient one).
    pub fn parse(text: &str) -> Result<Policy, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
        let unknown = |object: &serde_json::Map<String, serde_json::Value>, extra: &[&str], at: &str| -> Result<(), String> {
            match object.keys().find(|key| !RULE_FIELDS.contains(&key.as_str()) && !extra.contains(&key.as_str())) {
                Some(key) => Err(format!("{at}: unknown field `{key}` (known: {}, {})", RULE_FIELDS.join(", "), extra.join(", "))),
                None => Ok(()),
            }
        };
        let top = value.as_object().ok_or("expected an object like {\"approvals\": 1, \"overrides\": [...]}")?;
        unknown(top, &["overrides"], "the policy")?;
        for (index, rule) in top.get("overrides").and_then(|overrides| overrides.as_array()).into_iter().flatten().enumerate() {
            let rule = rule.as_object().ok_or(format!("overrides[{index}]: expected an object"))?;
            unknown(rule, &["business_line", "workspace_url"], &format!("overrides[{index}]"))?;
            if !rule.contains_key("business_line") && !rule.contains_key("workspace_url") {
                return Err(format!("overrides[{index}]: name a business_line, a workspace_url or both"));
            }
        }
        serde_json::from_value(value).map_err(|error| error.to_string())
    }
}

/// What a plan needs before it may be applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub approvals: u32,
    /// One approval must be an administrator's.
    pub admin: bool,
    /// Why, in words (for the requester and the approver).
    pub why: Vec<String>,
}

impl Requirement {
    pub fn none_needed(&self) -> bool {
        self.approvals == 0
    }
}

impl Policy {
    /// The rule for a business line and workspace: an override naming both, then one naming
    /// either, then the default.
    pub fn rule(&self, business_line: &str, workspace_url: &str) -> &Rule {
        let url = |url: &str| url.trim_end_matches('/').to_ascii_lowercase();
        let matches = |wanted: &Option<String>, have: &str, same: &dyn Fn(&str, &str) -> bool| {
            wanted.as_deref().is_none_or(|wanted| same(wanted, have))
        };
        let same_url = |a: &str, b: &str| url(a) == url(b);
        let specificity = |o: &Override| o.business_line.is_some() as u8 + o.workspace_url.is_some() as u8;
        self.overrides
            .iter()
            .filter(|o| matches(&o.business_line, business_line, &same_line) && matches(&o.workspace_url, workspace_url, &same_url))
            // Equally specific rules (one for the business line, one for the workspace): the stricter.
            .max_by_key(|o| (specificity(o), o.rule.approvals, o.rule.admin_for_removals || o.rule.admin_for_new_external))
            .map(|o| &o.rule)
            .unwrap_or(&self.default)
    }

    /// What `plan` needs, for a pack of `business_line` going to `workspace_url`.
    pub fn requirement(&self, plan: &Plan, business_line: &str, workspace_url: &str) -> Requirement {
        let rule = self.rule(business_line, workspace_url);
        let removals = plan.actions.iter().filter(|action| action.action.is_removal()).count();
        let external: Vec<&str> = plan
            .actions
            .iter()
            .filter(|action| action.action == ActionKind::Create && action.resource_type == ResourceType::Recipient)
            .filter(|action| {
                action.payload.get("authentication_type").and_then(|kind| kind.as_str()).unwrap_or("TOKEN").eq_ignore_ascii_case("TOKEN")
            })
            .map(|action| action.name.as_str())
            .collect();
        let mut why = Vec::new();
        let mut approvals = rule.approvals;
        if rule.approvals > 0 {
            why.push(format!(
                "{business_line} asks for {} approval{} of every plan",
                rule.approvals,
                if rule.approvals == 1 { "" } else { "s" }
            ));
        }
        if removals > 0 {
            why.push(format!("the plan removes {removals} thing{}", if removals == 1 { "" } else { "s" }));
        }
        if !external.is_empty() {
            why.push(format!("the plan creates external recipient{} {}", if external.len() == 1 { "" } else { "s" }, external.join(", ")));
        }
        if rule.risky_needs_one && (removals > 0 || !external.is_empty()) {
            approvals = approvals.max(1);
        }
        let admin = (rule.admin_for_removals && removals > 0) || (rule.admin_for_new_external && !external.is_empty());
        if admin {
            approvals = approvals.max(1);
            why.push("one approval must be an administrator's".into());
        }
        if approvals == 0 {
            why.clear();
        }
        Requirement { approvals, admin, why }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn of_two_equally_specific_rules_the_stricter_wins() {
        let line = Override { business_line: Some("Legal".into()), workspace_url: None, rule: Rule { approvals: 3, ..Rule::default() } };
        let space =
            Override { business_line: None, workspace_url: Some("https://w".into()), rule: Rule { approvals: 0, ..Rule::default() } };
        for overrides in [vec![line.clone(), space.clone()], vec![space, line]] {
            let policy = Policy { default: Rule::default(), overrides };
            assert_eq!(policy.rule("Legal", "https://w").approvals, 3, "whatever the order");
        }
    }

    #[test]
    fn the_setting_reads_defaults_and_overrides_and_refuses_misspelt_fields() {
        let policy = Policy::parse(r#"{"approvals": 2, "overrides": [{"business_line": "Legal", "approvals": 0}]}"#).unwrap();
        assert_eq!(policy.default, Rule { approvals: 2, ..Rule::default() });
        assert_eq!(policy.rule("legal", "https://w").approvals, 0);
        assert!(policy.rule("legal", "https://w").risky_needs_one, "missing fields keep their defaults");
        assert_eq!(Policy::parse("{}").unwrap(), Policy::default());
        let misspelt = Policy::parse(r#"{"approvals": 1, "admin_for_removal": true}"#).unwrap_err();
        assert!(misspelt.contains("admin_for_removal"), "{misspelt}");
        assert!(Policy::parse(r#"{"overrides": [{"approvals": 0}]}"#).unwrap_err().contains("business_line"));
        assert!(Policy::parse(r#"{"approvals": -1}"#).is_err());
        assert!(Policy::parse("[1]").is_err());
    }
    use crate::finding::Location;
    use crate::model::Strategy;
    use crate::plan::{Action, Summary};

    fn action(kind: ActionKind, resource: ResourceType, name: &str, payload: serde_json::Value) -> Action {
        Action {
            action: kind,
            resource_type: resource,
            name: name.into(),
            share: None,
            changes: Vec::new(),
            reason: String::new(),
            location: String::new(),
            at: Location::file(),
            needs_confirmation: false,
            payload,
        }
    }

    fn plan(actions: Vec<Action>) -> Plan {
        Plan { declared: None, strategy: Strategy::Update, actions, findings: Vec::new(), summary: Summary::default(), story: Vec::new() }
    }

    fn lenient() -> Policy {
        Policy { default: Rule { approvals: 0, ..Rule::default() }, overrides: Vec::new() }
    }

    #[test]
    fn plans_that_share_data_outside_or_remove_need_an_approval_even_where_none_is_asked() {
        let update = plan(vec![action(ActionKind::Update, ResourceType::Share, "s", serde_json::json!({}))]);
        assert!(lenient().requirement(&update, "Legal", "https://w").none_needed());
        let external =
            plan(vec![action(ActionKind::Create, ResourceType::Recipient, "partner", serde_json::json!({"authentication_type": "TOKEN"}))]);
        let needed = lenient().requirement(&external, "Legal", "https://w");
        assert_eq!((needed.approvals, needed.admin), (1, false));
        assert!(needed.why.iter().any(|why| why.contains("external recipient partner")), "{:?}", needed.why);
        let internal = plan(vec![action(
            ActionKind::Create,
            ResourceType::Recipient,
            "d2d",
            serde_json::json!({"authentication_type": "DATABRICKS"}),
        )]);
        assert!(lenient().requirement(&internal, "Legal", "https://w").none_needed(), "Databricks-to-Databricks is not external");
        let removal = plan(vec![action(ActionKind::RemoveObject, ResourceType::DataObject, "t", serde_json::json!({}))]);
        assert_eq!(lenient().requirement(&removal, "Legal", "https://w").approvals, 1);
        let mut relaxed = lenient();
        relaxed.default.risky_needs_one = false;
        assert!(relaxed.requirement(&removal, "Legal", "https://w").none_needed());
    }

    #[test]
    fn the_most_specific_rule_wins_and_may_ask_for_more_and_for_an_admin() {
        let strict = Rule { approvals: 2, risky_needs_one: true, admin_for_removals: true, admin_for_new_external: false };
        let policy = Policy {
            default: Rule::default(),
            overrides: vec![
                Override { business_line: Some("legal".into()), workspace_url: None, rule: Rule { approvals: 0, ..Rule::default() } },
                Override { business_line: Some("Legal".into()), workspace_url: Some("https://prod/".into()), rule: strict.clone() },
            ],
        };
        assert_eq!(policy.rule("Legal", "https://PROD"), &strict);
        assert_eq!(policy.rule("LEGAL", "https://dev").approvals, 0);
        assert_eq!(policy.rule("Finance", "https://prod"), &Rule::default());
        let removal = plan(vec![action(ActionKind::Revoke, ResourceType::Grant, "partner", serde_json::json!({}))]);
        let needed = policy.requirement(&removal, "Legal", "https://prod");
        assert_eq!((needed.approvals, needed.admin), (2, true));
        assert!(needed.why.iter().any(|why| why.contains("administrator")), "{:?}", needed.why);
    }
}
