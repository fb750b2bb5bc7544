//! Plans over the samples against several workspace states: empty, everything exists, partly
//! exists (the seed's conflict scenarios), drifted; reordered lists and case-only differences
//! plan no change; and planning again after applying a plan changes nothing.

use proptest::prelude::*;
use sharepack_engine::intake::{read_pack, Limits};
use sharepack_engine::model::SharePack;
use sharepack_engine::plan::snapshot::{Metastore, Snapshot};
use sharepack_engine::plan::{apply, plan, ActionKind, Plan, PlanOptions};
use sharepack_engine::sandbox::SEED_TABLES;

fn pack_from(text: &str) -> SharePack {
    let intake = read_pack(text.as_bytes(), None, &Limits::default()).expect("reads");
    assert!(intake.is_valid(), "{:?}", intake.findings.iter().filter(|f| f.is_error()).collect::<Vec<_>>());
    intake.pack.expect("pack")
}

fn sample(name: &str) -> SharePack {
    pack_from(&std::fs::read_to_string(format!("{}/../samples/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap())
}

/// An empty workspace whose catalog holds the seed tables.
fn empty() -> Snapshot {
    let mut snapshot = Snapshot {
        metastore: Metastore {
            global_metastore_id: "azure:westeurope:11111111-2222-4333-8444-555555555555".into(),
            delta_sharing_scope: "INTERNAL_AND_EXTERNAL".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    for table in SEED_TABLES {
        snapshot.catalog.insert(table.to_string(), "MANAGED".into());
    }
    snapshot
}

/// One line per action: what, which, where, why.
fn render(plan: &Plan) -> Vec<String> {
    plan.actions
        .iter()
        .map(|action| {
            let share = action.share.as_ref().map(|share| format!(" in {share}")).unwrap_or_default();
            format!("{:?} {:?} {}{share} @ {}: {}", action.action, action.resource_type, action.name, action.location, action.reason)
        })
        .collect()
}

#[test]
fn a_new_pack_on_an_empty_workspace_creates_everything() {
    let pack = sample("valid/finance.yaml");
    let plan = plan(&pack, &empty(), PlanOptions::default());
    assert_eq!(plan.strategy.as_str(), "NEW");
    assert!(!plan.has_errors(), "{:?}", plan.findings);
    assert_eq!(
        render(&plan),
        [
            "Create Recipient external-auditor @ line 12, column 5: new recipient",
            "Create Recipient internal-analyst @ line 20, column 5: new recipient",
            "Create Share finance_q1_share @ line 26, column 5: new share",
            "AddObject DataObject catalog.schema.revenue_table in finance_q1_share @ line 32, column 9: listed in the pack",
            "AddObject DataObject catalog.schema.expense_table in finance_q1_share @ line 33, column 9: listed in the pack",
            "Grant Grant external-auditor in finance_q1_share @ line 29, column 9: listed as a recipient of the share",
            "Grant Grant internal-analyst in finance_q1_share @ line 30, column 9: listed as a recipient of the share",
            "Create Share audit_log_share @ line 35, column 5: new share",
            "AddObject DataObject catalog.audit_schema.activity_log in audit_log_share @ line 40, column 9: listed in the pack",
            "Grant Grant external-auditor in audit_log_share @ line 38, column 9: listed as a recipient of the share",
        ]
    );
    assert_eq!((plan.summary.create, plan.summary.update, plan.summary.remove, plan.summary.unchanged), (10, 0, 0, 0));
    assert!(
        plan.story.contains(&"external-auditor gains read access to 2 objects through share finance_q1_share".to_string()),
        "{:?}",
        plan.story
    );
}

#[test]
fn a_pack_that_exists_already_switches_to_update_and_changes_nothing() {
    let pack = sample("valid/finance.yaml");
    let first = plan(&pack, &empty(), PlanOptions::default());
    let workspace = apply(&empty(), &pack, &first, true);
    let again = plan(&pack, &workspace, PlanOptions::default());
    assert_eq!(again.strategy.as_str(), "UPDATE");
    assert_eq!(again.changes().count(), 0, "{:?}", render(&again));
    assert_eq!(again.summary.unchanged, 10);
    let switch = again.findings.iter().find(|f| f.code == "strategy_switched").expect("the switch is reported");
    assert_eq!(switch.message, "Auto-switched from NEW to UPDATE: 2 recipient(s) and 2 share(s) already exist. Existing resources will be updated, new ones will be created.");
    assert_eq!(again.story, ["Nothing changes: the workspace already matches the pack"]);
}

#[test]
fn strict_mode_refuses_new_with_the_seed_wording() {
    let pack = sample("valid/finance.yaml");
    let workspace = apply(&empty(), &pack, &plan(&pack, &empty(), PlanOptions::default()), true);
    let strict = plan(&pack, &workspace, PlanOptions { strict: true });
    let messages: Vec<&str> = strict.findings.iter().filter(|f| f.is_error()).map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Recipient 'external-auditor' already exists",
            "Recipient 'internal-analyst' already exists",
            "Share 'finance_q1_share' already exists",
            "Share 'audit_log_share' already exists"
        ]
    );
}

const SEED_FIRST: &str = "metadata: {requestor: a@example.com, project_name: p, business_line: b, strategy: NEW}
recipient:
  - {name: test-recipient-001, type: D2O, email: test@example.com}
share:
  - {name: test_share_001, recipients: [test-recipient-001], data_objects: [catalog.schema.revenue_table]}
";

#[test]
fn the_seed_conflict_scenarios() {
    let first = pack_from(SEED_FIRST);
    let workspace = apply(&empty(), &first, &plan(&first, &empty(), PlanOptions::default()), true);
    // Test 1: the same recipient again with NEW.
    let duplicate_recipient = plan(&first, &workspace, PlanOptions::default());
    assert!(duplicate_recipient
        .findings
        .iter()
        .any(|f| f.message.starts_with("Auto-switched from NEW to UPDATE: 1 recipient(s) and 1 share(s)")));
    // Test 2: the same share, granted to another recipient.
    let second = pack_from(
        &SEED_FIRST
            .replace("[test-recipient-001], data", "[test-recipient-002], data")
            .replace("test-recipient-001, type", "test-recipient-002, type"),
    );
    let duplicate_share = plan(&second, &workspace, PlanOptions::default());
    assert_eq!(
        render(&duplicate_share).into_iter().filter(|line| !line.starts_with("Unchanged")).collect::<Vec<_>>(),
        [
            "Create Recipient test-recipient-002 @ line 3, column 5: new recipient",
            "Grant Grant test-recipient-002 in test_share_001 @ line 5, column 41: listed as a recipient of the share",
            "Revoke Grant test-recipient-001 in test_share_001 @ line 5, column 40: granted in the workspace, but not listed in the pack",
        ]
    );
    assert!(duplicate_share.actions.iter().find(|a| a.action == ActionKind::Revoke).unwrap().needs_confirmation);
    // Test 3: mixed, one recipient exists and one does not.
    let mixed = pack_from(&SEED_FIRST.replace(
        "  - {name: test-recipient-001, type: D2O, email: test@example.com}",
        "  - {name: test-recipient-001, type: D2O, email: test@example.com}\n  - {name: new-recipient-002, type: D2O, email: new@example.com}",
    ).replace("[test-recipient-001], data", "[test-recipient-001, new-recipient-002], data"));
    let plan = plan(&mixed, &workspace, PlanOptions::default());
    assert_eq!(plan.strategy.as_str(), "UPDATE");
    assert_eq!((plan.summary.create, plan.summary.unchanged), (2, 4), "{:?}", render(&plan));
}

#[test]
fn reordered_lists_and_case_only_differences_plan_no_change() {
    let pack = sample("valid/finance.yaml");
    let workspace = apply(&empty(), &pack, &plan(&pack, &empty(), PlanOptions::default()), true);
    let text = std::fs::read_to_string(format!("{}/../samples/valid/finance.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let reordered = text
        .replace("      - external-auditor\n      - internal-analyst", "      - internal-analyst\n      - External-Auditor")
        .replace("      - 203.0.113.0/24\n      - 198.51.100.50", "      - 198.51.100.50\n      - 203.0.113.0/24")
        .replace(
            "      - catalog.schema.revenue_table\n      - catalog.schema.expense_table",
            "      - CATALOG.schema.expense_table\n      - catalog.schema.revenue_table",
        )
        .replace("name: finance_q1_share", "name: Finance_Q1_Share");
    assert_ne!(reordered, text);
    let replanned = plan(&pack_from(&reordered), &workspace, PlanOptions::default());
    assert_eq!(replanned.changes().count(), 0, "{:?}", render(&replanned));
}

#[test]
fn drift_is_planned_back_and_removals_wait_for_confirmation() {
    let pack = sample("valid/finance.yaml");
    let mut workspace = apply(&empty(), &pack, &plan(&pack, &empty(), PlanOptions::default()), true);
    let share = workspace.shares.get_mut("finance_q1_share").unwrap();
    share.info.comment = Some("changed by hand".into());
    share
        .info
        .objects
        .push(sharepack_engine::databricks::client::SharedObject { name: "catalog.schema.orders".into(), ..Default::default() });
    share.grants.insert("someone-else".into());
    workspace.recipients.get_mut("external-auditor").unwrap().ip_access_list = None;
    let drifted = plan(&pack, &workspace, PlanOptions::default());
    let changes: Vec<String> = render(&drifted).into_iter().filter(|line| !line.starts_with("Unchanged")).collect();
    assert_eq!(
        changes,
        [
            "Update Recipient external-auditor @ line 12, column 5: Allowed IPs differs from the workspace",
            "Update Share finance_q1_share @ line 27, column 14: comment differs from the workspace",
            "RemoveObject DataObject catalog.schema.orders in finance_q1_share @ line 32, column 7: in the share, but no longer listed in the pack",
            "Revoke Grant someone-else in finance_q1_share @ line 29, column 7: granted in the workspace, but not listed in the pack",
        ]
    );
    let unconfirmed = apply(&workspace, &pack, &drifted, false);
    assert_eq!(plan(&pack, &unconfirmed, PlanOptions::default()).summary.remove, 2, "unconfirmed removals are kept");
    let confirmed = apply(&workspace, &pack, &drifted, true);
    assert_eq!(plan(&pack, &confirmed, PlanOptions::default()).changes().count(), 0);
}

#[test]
fn changes_databricks_cannot_make_are_errors_with_a_way_out() {
    let pack = sample("valid/finance.yaml");
    let mut workspace = apply(&empty(), &pack, &plan(&pack, &empty(), PlanOptions::default()), true);
    workspace.recipients.get_mut("external-auditor").unwrap().authentication_type = Some("DATABRICKS".into());
    let plan = plan(&pack, &workspace, PlanOptions::default());
    let error = plan.findings.iter().find(|f| f.code == "cannot_change_type").expect("reported");
    assert_eq!(error.location, "line 13, column 11");
    assert!(error.hint.as_deref().unwrap().contains("new recipient name"));
}

#[test]
fn preflight_checks_the_live_workspace() {
    let pack = sample("valid/finance.yaml");
    let mut workspace = empty();
    workspace.catalog.remove("catalog.schema.expense_table");
    workspace.catalog.insert("catalog.schema.revenue_table".into(), "VIEW".into());
    workspace.metastore.global_metastore_id = "aws:us-west-2:0b7e1c52-3f4a-4d2e-9a1b-7c8d9e0f1a2b".into();
    workspace.metastore.delta_sharing_scope = "INTERNAL".into();
    let plan = plan(&pack, &workspace, PlanOptions::default());
    let found: Vec<String> = plan.findings.iter().filter(|f| f.is_error()).map(|f| format!("{} {}", f.code, f.location)).collect();
    assert_eq!(
        found,
        [
            "open_sharing_off line 13, column 11",
            "own_metastore line 22, column 19",
            "object_type_mismatch line 32, column 9",
            "object_missing line 33, column 9"
        ]
    );
}

#[test]
fn a_misspelt_table_is_answered_with_the_nearest_the_workspace_has() {
    let pack = sample("valid/finance.yaml");
    let mut workspace = empty();
    // The pack names catalog.schema.expense_table; the workspace has it spelt otherwise.
    workspace.catalog.remove("catalog.schema.expense_table");
    workspace.catalog.insert("catalog.schema.expenses_table".into(), "MANAGED".into());
    workspace.catalog.insert("catalog.other.expense_table".into(), "MANAGED".into());
    let first = plan(&pack, &workspace, PlanOptions::default());
    let missing = first.findings.iter().find(|f| f.code == "object_missing").expect("reported");
    assert_eq!(missing.hint.as_deref(), Some("Did you mean `catalog.schema.expenses_table`? It is in the workspace"));
    // Nothing near: the plain hint.
    workspace.catalog.remove("catalog.schema.expenses_table");
    let second = plan(&pack, &workspace, PlanOptions::default());
    let missing = second.findings.iter().find(|f| f.code == "object_missing").expect("reported");
    assert!(missing.hint.as_deref().unwrap().starts_with("Check the catalog"), "{missing:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    /// Whatever part of a plan already happened, and whatever was added by hand, planning,
    /// applying (with confirmation) and planning again leaves nothing to do.
    #[test]
    fn plans_converge(sample_index in 0usize..4, done in prop::collection::vec(any::<bool>(), 16), extra_object in any::<bool>(), extra_grant in any::<bool>()) {
        let name = ["valid/finance.yaml", "valid/sales.yaml", "valid/minimal.yaml", "template.yaml"][sample_index];
        let pack = sample(name);
        let mut base = empty();
        base.catalog.insert("catalog.schema.orders".into(), "MANAGED".into());
        let full = plan(&pack, &base, PlanOptions::default());
        let mut partial = full.clone();
        partial.actions = full.actions.iter().enumerate().filter(|(index, _)| done[index % done.len()]).map(|(_, action)| action.clone()).collect();
        let mut workspace = apply(&base, &pack, &partial, true);
        if let Some(share) = workspace.shares.values_mut().next() {
            if extra_object { share.info.objects.push(sharepack_engine::databricks::client::SharedObject { name: "catalog.schema.orders".into(), ..Default::default() }); }
            if extra_grant { share.grants.insert("stranger".into()); }
        }
        let next = plan(&pack, &workspace, PlanOptions::default());
        let converged = apply(&workspace, &pack, &next, true);
        let last = plan(&pack, &converged, PlanOptions::default());
        prop_assert_eq!(last.changes().count(), 0, "{:?}", render(&last));
    }
}

/// Real plans meet the approval policy: a first external recipient needs an approval even where
/// the business line asks for none; planning the same pack again on the applied workspace
/// changes nothing and needs none; the digest of the same plan is the same, and changes with
/// the plan.
#[test]
fn real_plans_meet_the_approval_policy_and_digest() {
    use sharepack_engine::approval::digest::plan_digest;
    use sharepack_engine::approval::{Policy, Rule};
    let lenient = Policy { default: Rule { approvals: 0, ..Rule::default() }, overrides: Vec::new() };
    let pack = sample("valid/minimal.yaml");
    let first = plan(&pack, &empty(), PlanOptions::default());
    let needed = lenient.requirement(&first, "Examples", "https://w");
    assert_eq!(needed.approvals, 1, "{:?}", needed.why);
    assert!(needed.why.iter().any(|why| why.contains("external recipient partner")), "{:?}", needed.why);
    let workspace = apply(&empty(), &pack, &first, true);
    let again = plan(&pack, &workspace, PlanOptions::default());
    assert!(lenient.requirement(&again, "Examples", "https://w").none_needed(), "nothing changes, nothing to approve");
    assert_eq!(plan_digest(&first, "https://w", "s"), plan_digest(&plan(&pack, &empty(), PlanOptions::default()), "https://w", "s"));
    assert_ne!(plan_digest(&first, "https://w", "s"), plan_digest(&again, "https://w", "s"));
}

/// What a pack's applied versions made, as Sharepack's history would say (nobody else uses it).
fn made_by(packs: &[&SharePack]) -> sharepack_engine::plan::snapshot::Provisioned {
    use sharepack_engine::model::name_key;
    let mut made = sharepack_engine::plan::snapshot::Provisioned::default();
    for pack in packs {
        made.recipients.extend(pack.recipients.iter().map(|recipient| (name_key(&recipient.name), Vec::new())));
        made.shares.extend(pack.shares.iter().map(|share| (name_key(&share.name), Vec::new())));
    }
    made
}

fn finance() -> String {
    std::fs::read_to_string(format!("{}/../samples/valid/finance.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The finance pack without its internal analyst.
fn without_analyst() -> SharePack {
    let text = finance();
    let start = text.find("  - name: internal-analyst").unwrap();
    let end = text.find("share:").unwrap();
    pack_from(&format!("{}{}", &text[..start], &text[end..]).replace("      - internal-analyst\n", ""))
}

#[test]
fn a_recipient_the_pack_no_longer_lists_is_deleted_once_confirmed() {
    let first = sample("valid/finance.yaml");
    let mut workspace = apply(&empty(), &first, &plan(&first, &empty(), PlanOptions::default()), true);
    workspace.provisioned = made_by(&[&first]);
    let second = without_analyst();
    let planned = plan(&second, &workspace, PlanOptions::default());
    let changes: Vec<String> = render(&planned).into_iter().filter(|line| !line.starts_with("Unchanged")).collect();
    assert_eq!(
        changes,
        [
            "Revoke Grant internal-analyst in finance_q1_share @ line 24, column 7: granted in the workspace, but not listed in the pack",
            "Delete Recipient internal-analyst @ file: an earlier version of this pack made it and this one no longer lists it",
        ]
    );
    assert!(planned.actions.iter().filter(|action| action.action.is_removal()).all(|action| action.needs_confirmation));
    assert!(
        planned.story.contains(&"Recipient internal-analyst is deleted, no longer listed (once you confirm)".to_string()),
        "{:?}",
        planned.story
    );
    assert_eq!(planned.summary.remove, 2);
    // Unconfirmed, it stays; confirmed, it goes and planning again changes nothing.
    assert!(apply(&workspace, &second, &planned, false).recipients.contains_key("internal-analyst"));
    let mut after = apply(&workspace, &second, &planned, true);
    assert!(!after.recipients.contains_key("internal-analyst"));
    after.provisioned = made_by(&[&second]);
    assert_eq!(plan(&second, &after, PlanOptions::default()).changes().count(), 0);
}

#[test]
fn a_recipient_another_pack_uses_is_kept_and_the_plan_names_the_pack() {
    let first = sample("valid/finance.yaml");
    let mut workspace = apply(&empty(), &first, &plan(&first, &empty(), PlanOptions::default()), true);
    workspace.provisioned = made_by(&[&first]);
    workspace.provisioned.recipients.insert("internal-analyst".into(), vec!["SharePack_ann_20261201_120000".into()]);
    let planned = plan(&without_analyst(), &workspace, PlanOptions::default());
    assert!(!planned.actions.iter().any(|action| action.action == ActionKind::Delete), "{:?}", render(&planned));
    let kept = planned.findings.iter().find(|finding| finding.code == "kept_in_use").expect("the plan says why it stays");
    assert!(kept.message.contains("internal-analyst") && kept.message.contains("SharePack_ann_20261201_120000"), "{}", kept.message);
}

#[test]
fn a_token_recipient_deleted_says_its_credentials_cannot_be_restored() {
    let first = sample("valid/finance.yaml");
    let mut workspace = apply(&empty(), &first, &plan(&first, &empty(), PlanOptions::default()), true);
    workspace.provisioned = made_by(&[&first]);
    // Only the D2D recipient stays listed: the token (D2O) one goes.
    let text = finance();
    let start = text.find("  - name: external-auditor").unwrap();
    let end = text.find("  - name: internal-analyst").unwrap();
    let share = text.find("share:").unwrap();
    let only_analyst = format!("{}{}share:\n  - name: finance_q1_share\n    recipients: [internal-analyst]\n    data_objects: [catalog.schema.revenue_table, catalog.schema.expense_table]\n    comment: \"Q1 financial data\"\n", &text[..start], &text[end..share]);
    let planned = plan(&pack_from(&only_analyst), &workspace, PlanOptions::default());
    let deleted: Vec<&str> = planned.actions.iter().filter(|a| a.action == ActionKind::Delete).map(|a| a.name.as_str()).collect();
    assert_eq!(deleted, ["audit_log_share", "external-auditor"]);
    assert!(
        planned.story.iter().any(|line| line.contains("external-auditor") && line.contains("credentials cannot be restored")),
        "{:?}",
        planned.story
    );
    assert!(planned.story.iter().any(|line| line.starts_with("Share audit_log_share is deleted")), "{:?}", planned.story);
}

/// Rolling back is planning the earlier version against the later state: applying that plan
/// (removals confirmed) gives the earlier state back, whatever the later version changed.
#[test]
fn rollback_plans_converge_to_the_earlier_state() {
    let v1 = sample("valid/finance.yaml");
    let v3 = pack_from(
        &finance()
            .replace("comment: \"Q1 financial data\"", "comment: \"Q1 and Q2 financial data\"")
            .replace("      - catalog.schema.expense_table\n", "      - catalog.schema.expense_table\n      - catalog.schema.extra_table\n")
            .replace("      - internal-analyst\n    data_objects", "    data_objects")
            .replace(
                "share:\n",
                "  - name: new-partner\n    type: D2O\n    email: partner@example.com\n\nshare:\n  - name: partner_share\n    recipients: [new-partner]\n    data_objects: [catalog.schema.revenue_table]\n",
            ),
    );
    let mut base = empty();
    base.catalog.insert("catalog.schema.extra_table".into(), "MANAGED".into());
    let mut s1 = apply(&base, &v1, &plan(&v1, &base, PlanOptions::default()), true);
    s1.provisioned = made_by(&[&v1]);
    let to_v3 = plan(&v3, &s1, PlanOptions::default());
    assert!(!to_v3.has_errors(), "{:?}", to_v3.findings);
    let mut s3 = apply(&s1, &v3, &to_v3, true);
    s3.provisioned = made_by(&[&v1, &v3]);
    assert_ne!((&s3.recipients, &s3.shares), (&s1.recipients, &s1.shares));
    let rollback = plan(&v1, &s3, PlanOptions::default());
    assert!(!rollback.has_errors(), "{:?}", rollback.findings);
    let back = apply(&s3, &v1, &rollback, true);
    assert_eq!(back.recipients, s1.recipients, "the recipients are as they were");
    let objects = |snapshot: &Snapshot| {
        snapshot
            .shares
            .iter()
            .map(|(name, state)| {
                let mut objects: Vec<String> = state.info.objects.iter().map(|object| object.name.to_lowercase()).collect();
                objects.sort();
                (name.clone(), state.info.comment.clone(), objects, state.grants.clone())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(objects(&back), objects(&s1), "the shares, their comments, objects and grants are as they were");
    assert!(
        rollback.story.iter().any(|line| line.contains("new-partner") && line.contains("credentials cannot be restored")),
        "{:?}",
        rollback.story
    );
}
