//! History and what "current" means (issue 15): a share pack's current version is the one last
//! submitted; uploads that did not pass validation are drafts beside it that never replace it,
//! its status or its name.

use crate::support::{Portal, TESTERS};
use serde_json::Value;
use sharepack_engine::access::Principal;
use sharepack_engine::records::PackStatus;
use sharepack_engine::store::testing::{sample, Stack};
use std::time::{Duration, Instant};

async fn upload(portal: &Portal, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    let response =
        portal.client_as(TESTERS[0]).post(format!("{}/workflow/sharepack/upload", portal.url)).multipart(form).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn status(portal: &Portal, pack: &str) -> Value {
    portal.client_as(TESTERS[0]).get(format!("{}/workflow/sharepack/{pack}", portal.url)).send().await.unwrap().json().await.unwrap()
}

async fn completed(portal: &Portal, pack: &str) -> Value {
    let start = Instant::now();
    loop {
        let body = status(portal, pack).await;
        if body["Status"] == "COMPLETED" {
            return body;
        }
        assert!(start.elapsed() < Duration::from_secs(60) && body["Status"] == "IN_PROGRESS", "{body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_refused_upload_is_a_draft_beside_the_applied_pack(stack: Stack) {
    let vars = [("SHAREPACK_IDLE_POLL_MS", "50")];
    let Some(portal) = Portal::start(stack, &vars, 1).await else { return };
    let (code, first) = upload(&portal, "finance.yaml", sample("valid/finance.yaml")).await;
    assert_eq!(code, 202, "{first}");
    let pack = first["SharePackId"].as_str().unwrap().to_string();
    let name = first["SharePackName"].as_str().unwrap().to_string();
    completed(&portal, &pack).await;

    // The same project, broken: refused, and kept as a draft.
    let broken = String::from_utf8(sample("valid/finance.yaml")).unwrap().replacen("type: D2O", "type: NOPE", 1);
    let (code, refused) = upload(&portal, "finance.yaml", broken.into_bytes()).await;
    assert_eq!((code, refused["Status"].as_str()), (400, Some("VALIDATION_FAILED")), "{refused}");
    assert_eq!(refused["SharePackId"], pack.as_str());
    let now = status(&portal, &pack).await;
    assert_eq!(
        (now["Status"].as_str(), now["SharePackName"].as_str()),
        (Some("COMPLETED"), Some(name.as_str())),
        "the pack is what was applied: {now}"
    );
    assert_eq!(now["ErrorMessage"], "", "no red banner on the completed pack");
    let id = uuid::Uuid::parse_str(&pack).unwrap();
    let view = sharepack_engine::views::share_pack_view(&portal.store, &Principal::operator(), id).await.unwrap().unwrap();
    assert_eq!((view.status, view.name.as_str()), (PackStatus::Completed, name.as_str()));
    let drafts: Vec<(i64, bool)> = view.uploads.iter().map(|upload| (upload.version, upload.draft)).collect();
    assert_eq!(drafts, [(2, true), (1, false)], "version 2 is a draft beside version 1");
    // The draft opens as it was uploaded.
    let file = portal.client_as(TESTERS[0]).get(format!("{}/workflow/sharepacks/{pack}/uploads/2", portal.url)).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert!(file.text().await.unwrap().contains("type: NOPE"));
    let missing = portal.client_as(TESTERS[0]).get(format!("{}/workflow/sharepacks/{pack}/uploads/9", portal.url)).send().await.unwrap();
    assert_eq!(missing.status(), 404);

    // A later version that is submitted keeps the pack's name.
    let changed = String::from_utf8(sample("valid/finance.yaml")).unwrap().replace("Q1 financial data\"", "Q1 and Q2 financial data\"");
    let (code, next) = upload(&portal, "finance.yaml", changed.into_bytes()).await;
    assert_eq!(code, 202, "{next}");
    assert_eq!(next["SharePackName"], name.as_str());
    completed(&portal, &pack).await;

    // The draft is its uploader's to delete; what was submitted is history and stays.
    let delete = |client: reqwest::Client, version: i64| {
        let url = format!("{}/workflow/sharepacks/{pack}/uploads/{version}", portal.url);
        async move {
            let response = client.delete(url).send().await.unwrap();
            let code = response.status().as_u16();
            (code, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (code, body) = delete(portal.client_as(TESTERS[1]), 2).await;
    assert_eq!((code, body["Code"].as_str()), (403, Some("not_your_draft")), "{body}");
    let (code, body) = delete(portal.client_as(TESTERS[0]), 1).await;
    assert_eq!((code, body["Code"].as_str()), (409, Some("not_a_draft")), "{body}");
    let (code, _) = delete(portal.client_as(TESTERS[0]), 2).await;
    assert_eq!(code, 204);
    let (code, _) = delete(portal.client_as(TESTERS[0]), 2).await;
    assert_eq!(code, 404, "deleted once");
    let view = sharepack_engine::views::share_pack_view(&portal.store, &Principal::operator(), id).await.unwrap().unwrap();
    let versions: Vec<i64> = view.uploads.iter().map(|upload| upload.version).collect();
    assert_eq!(versions, [3, 1], "the draft is gone; the others keep their numbers");
    let file = portal.client_as(TESTERS[0]).get(format!("{}/workflow/sharepacks/{pack}/uploads/2", portal.url)).send().await.unwrap();
    assert_eq!(file.status(), 404, "its content is gone too");
    // Its number is never given again.
    let (_, again) = upload(
        &portal,
        "finance.yaml",
        String::from_utf8(sample("valid/finance.yaml")).unwrap().replacen("type: D2O", "type: NOPE", 1).into_bytes(),
    )
    .await;
    assert_eq!(again["SharePackId"], pack.as_str());
    let view = sharepack_engine::views::share_pack_view(&portal.store, &Principal::operator(), id).await.unwrap().unwrap();
    assert_eq!(view.uploads[0].version, 4);
}

/// Lee, a requester of the Legal business line, who sees none of Corporate Finance's.
async fn legal_requester(portal: &Portal) -> reqwest::Client {
    let legal = [sharepack_engine::access::Grant::new(sharepack_engine::access::Role::Requester, Some("Legal"))];
    crate::support::bearer_client(&crate::support::make_token(&portal.store, "lee@example.com", &legal).await)
}

/// `POST /workflow/sharepack/plan` of `bytes` as `client`: the plan answer.
async fn plan_file(client: &reqwest::Client, portal: &Portal, name: &str, bytes: Vec<u8>) -> Value {
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    client.post(format!("{}/workflow/sharepack/plan", portal.url)).multipart(form).send().await.unwrap().json().await.unwrap()
}

async fn get(client: &reqwest::Client, portal: &Portal, path: &str) -> (u16, Value) {
    let response = client.get(format!("{}/workflow{path}", portal.url)).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn timelines_and_diffs_of_what_runs_made(stack: Stack) {
    let vars = [("SHAREPACK_IDLE_POLL_MS", "50"), ("SHAREPACK_SANDBOX_TABLES", "catalog.schema.extra_table")];
    let Some(portal) = Portal::start(stack, &vars, 1).await else { return };
    let finance = String::from_utf8(sample("valid/finance.yaml")).unwrap();
    let second = finance.replace("Q1 financial data\"", "Q1 and Q2 financial data\"");
    let third = second
        .replace("      - catalog.schema.revenue_table\n", "      - catalog.schema.revenue_table\n      - catalog.schema.extra_table\n");
    assert_ne!(second, third, "the sample's layout changed");
    let mut pack = String::new();
    for version in [finance, second, third] {
        let (code, body) = upload(&portal, "finance.yaml", version.into_bytes()).await;
        assert_eq!(code, 202, "{body}");
        pack = body["SharePackId"].as_str().unwrap().to_string();
        completed(&portal, &pack).await;
    }
    let john = portal.client_as(TESTERS[0]);

    // A share's timeline: three versions, newest first, each with who, why, run and upload.
    let (code, timeline) = get(&john, &portal, "/shares/finance_q1_share/versions").await;
    assert_eq!(code, 200, "{timeline}");
    let versions = timeline["Versions"].as_array().unwrap();
    let numbers: Vec<i64> = versions.iter().map(|version| version["Version"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [3, 2, 1]);
    assert!(versions[0]["EffectiveTo"].is_null() && versions[2]["EffectiveTo"].is_string(), "the newest is current");
    assert_eq!((versions[0]["Upload"].as_i64(), versions[2]["Upload"].as_i64()), (Some(3), Some(1)));
    assert!(versions.iter().all(|version| version["RunId"].is_string() && version["CreatedBy"] == TESTERS[0]), "{versions:?}");
    let field = |version: &Value, name: &str| version["Changes"].as_array().unwrap().iter().find(|change| change["Field"] == name).cloned();
    let comment = field(&versions[1], "comment").expect("version 2 changed the comment");
    assert_eq!((comment["Before"].as_str(), comment["After"].as_str()), (Some("Q1 financial data"), Some("Q1 and Q2 financial data")));
    // Objects are a set: version 3 added one, and nothing else changed.
    let objects = field(&versions[0], "objects").expect("version 3 changed the objects");
    assert_eq!((objects["Before"].as_str(), objects["After"].as_str()), (None, Some("catalog.schema.extra_table")), "{objects}");
    assert_eq!(versions[0]["Changes"].as_array().unwrap().len(), 1, "{}", versions[0]["Changes"]);

    // Any two versions, by name or by id.
    let (code, diff) = get(&john, &portal, "/shares/finance_q1_share/diff?from=1&to=3").await;
    assert_eq!(code, 200, "{diff}");
    let fields: Vec<&str> = diff["Changes"].as_array().unwrap().iter().map(|change| change["Field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["comment", "objects"]);
    let (code, by_id) = get(&john, &portal, &format!("/shares/{}/diff?from=1&to=3", timeline["Id"].as_str().unwrap())).await;
    assert_eq!((code, &by_id["Changes"]), (200, &diff["Changes"]));
    let (code, reversed) = get(&john, &portal, "/shares/finance_q1_share/diff?from=3&to=1").await;
    assert_eq!(code, 200);
    let removed = reversed["Changes"].as_array().unwrap().iter().find(|change| change["Field"] == "objects").unwrap();
    assert_eq!(removed["Before"], "catalog.schema.extra_table", "the other way round it is a removal");

    // The uploads compared as packs: the share's comment changed, a table joined, each change
    // with its line in both files.
    let (code, packs) = get(&john, &portal, &format!("/sharepacks/{pack}/compare?from=1&to=3")).await;
    assert_eq!(code, 200, "{packs}");
    let said: Vec<String> = packs["Changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| {
            format!(
                "{} {} {}",
                change["Change"].as_str().unwrap(),
                change["ResourceType"].as_str().unwrap(),
                change["Name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(said, ["CHANGED SHARE finance_q1_share", "ADDED DATA_OBJECT catalog.schema.extra_table"], "{packs}");
    assert_eq!(packs["Changes"][0]["Before"]["Line"], 26, "the share's line in version 1: {packs}");
    // The line it links to is that line of the file as uploaded.
    let key = uuid::Uuid::parse_str(&pack).unwrap();
    let source =
        sharepack_engine::history::packs::source_file(&portal.store, &Principal::operator(), key, 1, &Default::default()).await.unwrap();
    assert!(source.lines[25].contains("name: finance_q1_share"), "{:?}", source.lines.get(25));
    assert_eq!(packs["Changes"][1]["After"]["Line"], 33, "the new table's line in version 3: {packs}");
    assert!(packs["Changes"][1]["Before"].is_null());
    let (code, same) = get(&john, &portal, &format!("/sharepacks/{pack}/compare?from=2&to=2")).await;
    assert_eq!((code, same["Changes"].as_array().map(Vec::len)), (200, Some(0)));
    let (code, body) = get(&john, &portal, &format!("/sharepacks/{pack}/compare?from=1&to=4")).await;
    assert_eq!((code, body["Location"].as_str()), (400, Some("to")), "{body}");

    // The share pack's own timeline, the business line and the project.
    let (code, packs) = get(&john, &portal, &format!("/sharepacks/{pack}/versions")).await;
    assert_eq!(code, 200, "{packs}");
    assert_eq!(packs["Versions"][0]["Data"]["status"], "COMPLETED");
    assert_eq!(packs["Versions"][0]["Upload"], 3);
    let (code, tenant) = get(&john, &portal, "/tenants/corporate%20finance/versions").await;
    assert_eq!((code, tenant["Versions"].as_array().map(Vec::len)), (200, Some(1)), "{tenant}");
    let (code, project) = get(&john, &portal, "/projects/Corporate%20Finance%20Q1%20Data%20Share/versions").await;
    assert_eq!(code, 200, "{project}");

    // Bad requests say where; other business lines see nothing; unknown names are 404.
    let (code, body) = get(&john, &portal, "/shares/finance_q1_share/diff?from=1").await;
    assert_eq!((code, body["Location"].as_str()), (400, Some("to")), "{body}");
    let (code, body) = get(&john, &portal, "/shares/finance_q1_share/diff?from=1&to=9").await;
    assert_eq!((code, body["Code"].as_str(), body["Location"].as_str()), (400, Some("no_such_version"), Some("to")), "{body}");
    let (code, _) = get(&john, &portal, "/shares/no_such_share/versions").await;
    assert_eq!(code, 404);
    let legal = legal_requester(&portal).await;
    for path in [
        "/shares/finance_q1_share/versions",
        "/recipients/external-auditor/versions",
        "/tenants/Corporate%20Finance/versions",
        &format!("/sharepacks/{pack}/versions"),
    ] {
        let (code, body) = get(&legal, &portal, path).await;
        assert_eq!(code, 404, "{path}: {body}");
    }
    let auditor = crate::support::bearer_client(
        &crate::support::make_token(
            &portal.store,
            "aud@example.com",
            &[sharepack_engine::access::Grant::everywhere(sharepack_engine::access::Role::Auditor)],
        )
        .await,
    );
    assert_eq!(get(&auditor, &portal, "/recipients/external-auditor/versions").await.0, 200, "an auditor reads everything");
}

async fn the_audit_trail_is_searchable_paged_and_exported(stack: Stack) {
    let vars = [("SHAREPACK_IDLE_POLL_MS", "50")];
    let Some(portal) = Portal::start(stack, &vars, 1).await else { return };
    let (code, body) = upload(&portal, "finance.yaml", sample("valid/finance.yaml")).await;
    assert_eq!(code, 202, "{body}");
    let pack = body["SharePackId"].as_str().unwrap().to_string();
    let run = body["RunId"].as_str().unwrap().to_string();
    completed(&portal, &pack).await;
    let john = portal.client_as(TESTERS[0]);

    let (code, all) = get(&john, &portal, "/audit").await;
    assert_eq!(code, 200, "{all}");
    let entries = all["Entries"].as_array().unwrap();
    let times: Vec<&str> = entries.iter().map(|entry| entry["At"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|pair| pair[0] >= pair[1]), "newest first: {times:?}");
    assert!(entries.iter().any(|entry| entry["Action"] == "run_submitted" && entry["Actor"] == TESTERS[0]));
    let completed_entry = entries.iter().find(|entry| entry["Action"] == "run_completed").expect("the run's result is there");
    assert_eq!(completed_entry["BusinessLine"], "Corporate Finance");
    assert_eq!(completed_entry["Link"], format!("/runs/{run}"));

    // Filters narrow, in any combination.
    let (_, only) = get(&john, &portal, &format!("/audit?action=create&correlation_id={run}&business_line=corporate%20finance")).await;
    let only = only["Entries"].as_array().unwrap().clone();
    assert_eq!(only.len(), 4, "two recipients and two shares created: {only:?}");
    assert!(only.iter().all(|entry| entry["Action"] == "create" && entry["CorrelationId"] == run.as_str()));
    let (_, none) = get(&john, &portal, "/audit?since=2999-01-01").await;
    assert_eq!(none["Entries"].as_array().map(Vec::len), Some(0));
    let (_, by_actor) = get(&john, &portal, "/audit?actor=WORKER").await;
    assert!(by_actor["Entries"].as_array().unwrap().iter().all(|entry| entry["Actor"] == "worker"), "{by_actor}");

    // Pages follow each other without overlap.
    let (_, first) = get(&john, &portal, "/audit?limit=3").await;
    let cursor = first["NextCursor"].as_str().expect("more than three entries").to_string();
    let (_, second) = get(&john, &portal, &format!("/audit?limit=3&cursor={cursor}")).await;
    let ids = |page: &Value| {
        page["Entries"].as_array().unwrap().iter().map(|entry| entry["Id"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let (a, b) = (ids(&first), ids(&second));
    assert_eq!((a.len(), b.len()), (3, 3));
    assert!(a.iter().all(|id| !b.contains(id)), "{a:?} {b:?}");
    let everything = ids(&all);
    assert_eq!([a, b].concat(), everything[..6].to_vec(), "the pages are the list, in order");

    // CSV for the filter in view.
    let response =
        john.get(format!("{}/workflow/audit?correlation_id={run}", portal.url)).header("accept", "text/csv").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = response.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("At,Actor,Action,EntityType,EntityId,Version,CorrelationId,BusinessLine,Reason,Details"));
    let rows: Vec<&str> = lines.collect();
    assert!(rows.len() >= 10 && rows.iter().all(|row| row.contains(run.as_str())), "{csv}");

    // Bad filters say which; another business line sees none of it.
    let (code, body) = get(&john, &portal, "/audit?action=dropped_everything").await;
    assert_eq!((code, body["Location"].as_str()), (400, Some("action")), "{body}");
    let (code, body) = get(&john, &portal, "/audit?since=yesterday").await;
    assert_eq!((code, body["Location"].as_str()), (400, Some("since")), "{body}");
    let legal = legal_requester(&portal).await;
    let (code, theirs) = get(&legal, &portal, "/audit").await;
    assert_eq!(code, 200);
    assert!(
        theirs["Entries"].as_array().unwrap().iter().all(|entry| entry["CorrelationId"] != run.as_str() && entry["Actor"] != TESTERS[0]),
        "{theirs}"
    );
}

async fn an_exported_workbook_uploaded_unchanged_plans_no_change(stack: Stack) {
    let vars = [("SHAREPACK_IDLE_POLL_MS", "50")];
    let Some(portal) = Portal::start(stack, &vars, 1).await else { return };
    let (code, body) = upload(&portal, "finance.yaml", sample("valid/finance.yaml")).await;
    assert_eq!(code, 202, "{body}");
    let pack = body["SharePackId"].as_str().unwrap().to_string();
    completed(&portal, &pack).await;
    let before_second = chrono::Utc::now();
    let changed = String::from_utf8(sample("valid/finance.yaml")).unwrap().replace("Q1 financial data\"", "Q1 and Q2 financial data\"");
    assert_eq!(upload(&portal, "finance.yaml", changed.into_bytes()).await.0, 202);
    completed(&portal, &pack).await;
    let john = portal.client_as(TESTERS[0]);

    let response = john.get(format!("{}/workflow/sharepacks/{pack}/export", portal.url)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-disposition"].to_str().unwrap().contains("-v2.xlsx"));
    let workbook = response.bytes().await.unwrap().to_vec();
    let read = sharepack_engine::intake::read_pack(&workbook, Some("export.xlsx"), &Default::default()).unwrap();
    assert!(read.is_valid(), "{:?}", read.findings);
    assert_eq!(read.pack.as_ref().unwrap().shares[0].comment.as_deref(), Some("Q1 and Q2 financial data"), "the current version");
    // Planned against the workspace it describes: nothing to change.
    let plan = plan_file(&john, &portal, "export.xlsx", workbook).await;
    let summary = &plan["Summary"];
    assert_eq!((summary["Create"].as_u64(), summary["Update"].as_u64(), summary["Remove"].as_u64()), (Some(0), Some(0), Some(0)), "{plan}");
    assert!(summary["Unchanged"].as_u64().unwrap() > 0);

    // The same as YAML, which plans no change either.
    let response = john.get(format!("{}/workflow/sharepacks/{pack}/export?format=yaml", portal.url)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-disposition"].to_str().unwrap().contains("-v2.yaml"));
    let yaml = response.bytes().await.unwrap().to_vec();
    assert!(!String::from_utf8_lossy(&yaml).contains("requestor"), "whoever uploads it again is its requestor");
    // A teammate plans it: nothing to change, and no requestor of someone else's in the way.
    let plan = plan_file(&portal.client_as(TESTERS[1]), &portal, "export.yaml", yaml).await;
    assert_eq!(plan["ValidationErrors"].as_array().map(Vec::len), Some(0), "{plan}");
    let summary = &plan["Summary"];
    assert_eq!((summary["Create"].as_u64(), summary["Update"].as_u64(), summary["Remove"].as_u64()), (Some(0), Some(0), Some(0)), "{plan}");
    let response = john.get(format!("{}/workflow/sharepacks/{pack}/export?format=pdf", portal.url)).send().await.unwrap();
    assert_eq!(response.status(), 400);

    // As of a moment before the second version: the first.
    // To the microsecond, as the store keeps times: cut to the millisecond, a moment taken just
    // after a write could read as before it.
    let at = before_second.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let response = john.get(format!("{}/workflow/sharepacks/{pack}/export?as_of={at}", portal.url)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let old = sharepack_engine::intake::read_pack(&response.bytes().await.unwrap(), Some("old.xlsx"), &Default::default()).unwrap();
    assert_eq!(old.pack.unwrap().shares[0].comment.as_deref(), Some("Q1 financial data"));
    let response = john.get(format!("{}/workflow/sharepacks/{pack}/export?as_of=2000-01-01", portal.url)).send().await.unwrap();
    assert_eq!(response.status(), 404, "it did not exist then");
    let response = john.get(format!("{}/workflow/sharepacks/{pack}/export?as_of=soon", portal.url)).send().await.unwrap();
    assert_eq!(response.status(), 400);
}

async fn who_could_read_a_table_and_what_a_recipient_could_read_then(stack: Stack) {
    let vars =
        [("SHAREPACK_IDLE_POLL_MS", "50"), ("SHAREPACK_APPROVALS", "{}"), ("SHAREPACK_SANDBOX_TABLES", "catalog.schema.extra_table")];
    let Some(portal) = Portal::start(stack, &vars, 1).await else { return };
    let ann = portal.client_as(TESTERS[1]);
    // To the microsecond, as the store keeps times: cut to the millisecond, a moment taken just
    // after a write could read as before it.
    let stamp = || chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let before = stamp();
    let finance = String::from_utf8(sample("valid/finance.yaml")).unwrap();
    let more = finance
        .replace("      - catalog.schema.revenue_table\n", "      - catalog.schema.revenue_table\n      - catalog.schema.extra_table\n");
    let mut runs = Vec::new();
    let mut moments = Vec::new();
    for version in [finance, more] {
        let (code, body) = upload(&portal, "finance.yaml", version.into_bytes()).await;
        assert_eq!((code, body["RunStatus"].as_str()), (202, Some("AWAITING_APPROVAL")), "{body}");
        let run = body["RunId"].as_str().unwrap().to_string();
        let approved = ann
            .post(format!("{}/workflow/runs/{run}/approve", portal.url))
            .json(&serde_json::json!({"Comment": "ok"}))
            .send()
            .await
            .unwrap();
        assert_eq!(approved.status(), 200);
        completed(&portal, body["SharePackId"].as_str().unwrap()).await;
        runs.push(run);
        moments.push(stamp());
    }
    let john = portal.client_as(TESTERS[0]);
    let ask = |query: String| {
        let john = john.clone();
        let url = format!("{}/workflow/access?{query}", portal.url);
        async move {
            let response = john.get(url).send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let pairs = |answer: &Value| {
        answer["Access"]
            .as_array()
            .unwrap()
            .iter()
            .map(|access| (access["Recipient"].as_str().unwrap().to_string(), access["Share"].as_str().unwrap().to_string()))
            .collect::<Vec<_>>()
    };

    let (code, then) = ask(format!("table=catalog.schema.revenue_table&at={}", moments[0])).await;
    assert_eq!(code, 200, "{then}");
    assert_eq!(
        pairs(&then),
        [
            ("external-auditor".to_string(), "finance_q1_share".to_string()),
            ("internal-analyst".to_string(), "finance_q1_share".to_string())
        ]
    );
    let first = &then["Access"][0];
    assert_eq!((first["RunId"].as_str(), first["Upload"].as_i64()), (Some(runs[0].as_str()), Some(1)), "{first}");
    assert_eq!(first["ApprovedBy"], serde_json::json!([TESTERS[1]]), "who approved the run that granted it");
    assert_eq!(ask(format!("table=CATALOG.SCHEMA.REVENUE_TABLE&at={before}")).await.1["Access"], serde_json::json!([]), "nobody before");

    // The added table: nobody after the first run, both recipients after the second.
    assert_eq!(ask(format!("table=catalog.schema.extra_table&at={}", moments[0])).await.1["Access"], serde_json::json!([]));
    let (_, later) = ask(format!("table=catalog.schema.extra_table&at={}", moments[1])).await;
    assert_eq!(pairs(&later).len(), 2);
    assert_eq!(later["Access"][0]["RunId"], runs[1].as_str());
    // Access that held through the second run still dates from the first.
    let (_, still) = ask(format!("table=catalog.schema.revenue_table&at={}", moments[1])).await;
    assert_eq!(still["Access"][0]["RunId"], runs[0].as_str());
    assert_eq!(still["Access"][0]["Since"], then["Access"][0]["Since"]);

    let (_, reads) = ask(format!("recipient=External-Auditor&at={}", moments[1])).await;
    let tables: Vec<&str> = reads["Access"].as_array().unwrap().iter().map(|access| access["Table"].as_str().unwrap()).collect();
    assert_eq!(
        tables,
        ["catalog.audit_schema.activity_log", "catalog.schema.expense_table", "catalog.schema.extra_table", "catalog.schema.revenue_table"]
    );

    // Another business line sees none of it; questions must be whole.
    let legal = legal_requester(&portal).await;
    let hidden: Value =
        legal.get(format!("{}/workflow/access?table=catalog.schema.revenue_table", portal.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(hidden["Access"], serde_json::json!([]), "{hidden}");
    for (query, field) in [("", "table"), ("table=a.b.c&recipient=r", "recipient"), ("table=a.b.c&at=someday", "at")] {
        let (code, body) = ask(query.to_string()).await;
        assert_eq!((code, body["Location"].as_str()), (400, Some(field)), "{query}: {body}");
    }
}

async fn share_packs_are_listed_filtered_paged_and_as_of_a_moment(stack: Stack) {
    let vars = [("SHAREPACK_IDLE_POLL_MS", "50")];
    let Some(portal) = Portal::start(stack, &vars, 1).await else { return };
    // To the microsecond, as the store keeps times: cut to the millisecond, a moment taken just
    // after a write could read as before it.
    let stamp = || chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mut ids = Vec::new();
    let mut moments = Vec::new();
    for project in ["Alpha", "Beta", "Gamma"] {
        let pack = String::from_utf8(sample("valid/finance.yaml"))
            .unwrap()
            .replace("Corporate Finance Q1 Data Share", &format!("Listing {project}"))
            .replace("finance_q1_share", &format!("listing_{}", project.to_lowercase()))
            .replace("audit_log_share", &format!("listing_audit_{}", project.to_lowercase()));
        let (code, body) = upload(&portal, &format!("{project}.yaml"), pack.into_bytes()).await;
        assert_eq!(code, 202, "{body}");
        ids.push(body["SharePackId"].as_str().unwrap().to_string());
        completed(&portal, ids.last().unwrap()).await;
        moments.push(stamp());
    }
    let john = portal.client_as(TESTERS[0]);
    let projects = |page: &Value| {
        page["SharePacks"].as_array().unwrap().iter().map(|row| row["Project"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let (code, all) = get(&john, &portal, "/sharepacks?q=listing").await;
    assert_eq!(code, 200, "{all}");
    assert_eq!(projects(&all).len(), 3);
    assert!(all["SharePacks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|row| row["Status"] == "COMPLETED" && row["BusinessLine"] == "Corporate Finance"));
    // Pages of one follow each other by name.
    let (_, first) = get(&john, &portal, "/sharepacks?q=listing&limit=2").await;
    let cursor = first["NextCursor"].as_str().expect("a next page").to_string();
    let (_, second) = get(&john, &portal, &format!("/sharepacks?q=listing&limit=2&cursor={cursor}")).await;
    assert_eq!([projects(&first), projects(&second)].concat(), projects(&all));
    assert!(second["NextCursor"].is_null());
    // As of a moment: what was there then, as it was then.
    let (_, then) = get(&john, &portal, &format!("/sharepacks?q=listing&as_of={}", moments[0])).await;
    assert_eq!(projects(&then), ["Listing Alpha"]);
    let (_, before) = get(&john, &portal, "/sharepacks?q=listing&as_of=2000-01-01").await;
    assert_eq!(projects(&before).len(), 0);
    // Filters.
    assert_eq!(projects(&get(&john, &portal, "/sharepacks?q=gamma").await.1), ["Listing Gamma"], "search by project");
    assert_eq!(projects(&get(&john, &portal, "/sharepacks?q=listing&status=failed").await.1).len(), 0);
    assert_eq!(projects(&get(&john, &portal, "/sharepacks?q=listing&status=completed&business_line=corporate%20finance").await.1).len(), 3);
    assert_eq!(projects(&get(&john, &portal, &format!("/sharepacks?q=listing&created_by={}", TESTERS[1])).await.1).len(), 0);
    assert_eq!(projects(&get(&john, &portal, &format!("/sharepacks?q=listing&changed_since={}", moments[1])).await.1), ["Listing Gamma"]);
    let (code, body) = get(&john, &portal, "/sharepacks?status=DONE").await;
    assert_eq!((code, body["Location"].as_str()), (400, Some("status")), "{body}");
    let (code, body) = get(&john, &portal, "/sharepacks?limit=1&limit=2").await;
    assert_eq!((code, body["Code"].as_str(), body["Location"].as_str()), (400, Some("query_invalid"), Some("query")), "{body}");
    let (code, body) = get(&john, &portal, "/shares?q=a%00b").await;
    assert_eq!((code, body["Location"].as_str()), (400, Some("q")), "NUL is refused where it is: {body}");
    let (code, body) = get(&john, &portal, "/sharepacks?cursor=nonsense").await;
    assert_eq!((code, body["Location"].as_str()), (400, Some("cursor")), "{body}");
    // Another business line sees none of them.
    let legal = legal_requester(&portal).await;
    assert_eq!(projects(&get(&legal, &portal, "/sharepacks?q=listing").await.1).len(), 0);

    // The other kinds list the same way, each under its own name.
    let names = |page: &Value, key: &str| {
        page[key]
            .as_array()
            .unwrap_or_else(|| panic!("{page}"))
            .iter()
            .map(|row| row["Name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let (code, shares) = get(&john, &portal, "/shares?q=listing").await;
    assert_eq!(code, 200, "{shares}");
    assert_eq!(
        names(&shares, "Shares"),
        ["listing_alpha", "listing_audit_alpha", "listing_audit_beta", "listing_audit_gamma", "listing_beta", "listing_gamma"]
    );
    assert!(shares["Shares"].as_array().unwrap().iter().all(|row| row["BusinessLine"] == "Corporate Finance" && row["Version"] == 1));
    let (_, then) = get(&john, &portal, &format!("/shares?q=listing&as_of={}", moments[0])).await;
    assert_eq!(names(&then, "Shares"), ["listing_alpha", "listing_audit_alpha"]);
    let (_, first) = get(&john, &portal, "/shares?q=listing&limit=4").await;
    let (_, rest) = get(&john, &portal, &format!("/shares?q=listing&limit=4&cursor={}", first["NextCursor"].as_str().unwrap())).await;
    assert_eq!([names(&first, "Shares"), names(&rest, "Shares")].concat(), names(&shares, "Shares"));
    assert_eq!(names(&get(&john, &portal, "/shares?q=listing&status=deleted").await.1, "Shares").len(), 0);
    // Underscores and percent signs in a search are themselves, not wildcards.
    assert_eq!(names(&get(&john, &portal, "/shares?q=audit_g").await.1, "Shares"), ["listing_audit_gamma"]);
    assert_eq!(names(&get(&john, &portal, "/shares?q=listing%25").await.1, "Shares").len(), 0);
    assert_eq!(names(&get(&john, &portal, "/shares?q=listing_").await.1, "Shares").len(), 6);
    let (code, body) = get(&john, &portal, "/shares?status=COMPLETED").await;
    assert_eq!((code, body["Location"].as_str()), (400, Some("status")), "{body}");
    let (_, recipients) = get(&john, &portal, "/recipients?business_line=Corporate%20Finance").await;
    assert!(names(&recipients, "Recipients").contains(&"external-auditor".to_string()), "{recipients}");
    assert_eq!(names(&get(&john, &portal, "/projects?q=listing").await.1, "Projects"), ["Listing Alpha", "Listing Beta", "Listing Gamma"]);
    assert!(names(&get(&john, &portal, "/tenants").await.1, "Tenants").contains(&"Corporate Finance".to_string()));
    // What each run was asked to do: one request per run, the pack's owner's to see.
    let (_, requests) = get(&john, &portal, "/requests?q=listing").await;
    assert_eq!(names(&requests, "Requests"), ["Listing Alpha v1", "Listing Beta v1", "Listing Gamma v1"], "{requests}");
    assert_eq!(names(&get(&legal, &portal, "/requests?q=listing").await.1, "Requests").len(), 0);
    for (path, key) in [("/shares?q=listing", "Shares"), ("/projects?q=listing", "Projects"), ("/recipients?q=external", "Recipients")] {
        assert_eq!(names(&get(&legal, &portal, path).await.1, key).len(), 0, "{path} is Corporate Finance's");
    }
    assert!(!names(&get(&legal, &portal, "/tenants").await.1, "Tenants").contains(&"Corporate Finance".to_string()));
}

/// Version 2 drops a recipient, adds a token recipient with its own share, changes a comment and
/// adds a table; rolling back to version 1 plans from today's workspace back to version 1's
/// state, runs like any upload, and leaves the sandbox as version 1 left it.
async fn a_pack_rolls_back_to_an_earlier_version_through_a_run(stack: Stack) {
    let vars = [("SHAREPACK_IDLE_POLL_MS", "50"), ("SHAREPACK_SANDBOX_TABLES", "catalog.schema.extra_table")];
    let Some(portal) = Portal::start(stack, &vars, 1).await else { return };
    let v1 = String::from_utf8(sample("valid/finance.yaml")).unwrap().replace("Corporate Finance Q1 Data Share", "Rollback Story");
    let analyst = v1.find("  - name: internal-analyst").unwrap();
    let shares = v1.find("share:").unwrap();
    let v2 = format!(
        "{}  - name: new-partner\n    type: D2O\n    email: partner@example.com\n\n{}",
        &v1[..analyst],
        &v1[shares..].replace("      - internal-analyst\n", "").replace("Q1 financial data\"", "Q1 and Q2 financial data\"").replace(
            "      - catalog.schema.expense_table\n",
            "      - catalog.schema.expense_table\n      - catalog.schema.extra_table\n"
        )
    ) + "\n  - name: partner_share\n    recipients: [new-partner]\n    data_objects: [catalog.schema.revenue_table]\n";
    let (code, body) = upload(&portal, "finance.yaml", v1.clone().into_bytes()).await;
    assert_eq!(code, 202, "{body}");
    let pack = body["SharePackId"].as_str().unwrap().to_string();
    completed(&portal, &pack).await;
    let john = portal.client_as(TESTERS[0]);
    let client = &portal.workspaces.select(None, None).unwrap().client;

    // A plan for version 2 says the analyst goes, and a run with removals confirmed deletes it.
    let plan = plan_file(&john, &portal, "v2.yaml", v2.clone().into_bytes()).await;
    let deleted: Vec<&Value> = plan["Plan"].as_array().unwrap().iter().filter(|action| action["Action"] == "DELETE").collect();
    assert_eq!(deleted.len(), 1, "{plan}");
    assert_eq!((deleted[0]["Name"].as_str(), deleted[0]["NeedsConfirmation"].as_bool()), (Some("internal-analyst"), Some(true)));
    assert!(
        plan["Story"].as_array().unwrap().iter().any(|line| line.as_str().unwrap().starts_with("Recipient internal-analyst is deleted")),
        "{plan}"
    );
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(v2.into_bytes()).file_name("v2.yaml"));
    let response =
        john.post(format!("{}/workflow/sharepack/upload?confirm_removals=true", portal.url)).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    completed(&portal, &pack).await;
    let names =
        |recipients: Vec<sharepack_engine::databricks::client::RecipientInfo>| recipients.into_iter().map(|r| r.name).collect::<Vec<_>>();
    let now = names(client.list_recipients().await.unwrap());
    assert!(now.contains(&"new-partner".to_string()) && !now.contains(&"internal-analyst".to_string()), "{now:?}");
    let (_, gone) = get(&john, &portal, "/recipients?q=internal-analyst&status=deleted").await;
    assert_eq!(gone["Recipients"].as_array().map(Vec::len), Some(1), "the deleted recipient is listed as deleted: {gone}");
    // Its name stays Corporate Finance's: another business line taking it would see its history.
    let taken = "metadata: {project_name: Taken, business_line: Legal}\nrecipient:\n  - {name: internal-analyst, type: D2O, email: x@example.com}\nshare:\n  - {name: legal_taken, recipients: [internal-analyst], data_objects: [catalog.schema.revenue_table]}\n";
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(taken.as_bytes().to_vec()).file_name("taken.yaml"));
    let response =
        legal_requester(&portal).await.post(format!("{}/workflow/sharepack/plan", portal.url)).multipart(form).send().await.unwrap();
    let (code, body) = (response.status().as_u16(), response.json::<Value>().await.unwrap());
    assert_eq!((code, body["Code"].as_str()), (403, Some("owned_by_another_business_line")), "{body}");
    let (code, _) = get(&legal_requester(&portal).await, &portal, "/recipients/internal-analyst/versions").await;
    assert_eq!(code, 404, "nor its history");

    // Rolling back: errors first, then version 1.
    let rollback = |body: Value| {
        let request = john.post(format!("{}/workflow/sharepacks/{pack}/rollback", portal.url)).json(&body);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let (code, body) = rollback(serde_json::json!({})).await;
    assert_eq!((code, body["Location"].as_str()), (400, Some("Version")), "{body}");
    let (code, body) = rollback(serde_json::json!({"Version": 7})).await;
    assert_eq!((code, body["Code"].as_str(), body["Location"].as_str()), (409, Some("never_applied"), Some("version")), "{body}");
    let (code, body) = rollback(serde_json::json!({"Version": 1, "ConfirmRemovals": true})).await;
    assert_eq!(code, 202, "{body}");
    completed(&portal, &pack).await;

    // The sandbox is as version 1 left it.
    let now = names(client.list_recipients().await.unwrap());
    assert!(now.contains(&"internal-analyst".to_string()) && !now.contains(&"new-partner".to_string()), "{now:?}");
    let share = client.get_share("finance_q1_share", true).await.unwrap();
    assert_eq!(share.comment.as_deref(), Some("Q1 financial data"));
    let mut objects: Vec<String> = share.objects.iter().map(|object| object.name.clone()).collect();
    objects.sort();
    assert_eq!(objects, ["catalog.schema.expense_table", "catalog.schema.revenue_table"]);
    let shares: Vec<String> = client.list_shares().await.unwrap().into_iter().map(|share| share.name).collect();
    assert!(!shares.contains(&"partner_share".to_string()), "{shares:?}");
    // Version 1 again plans nothing; the pack's history says what happened.
    let plan = plan_file(&john, &portal, "v1.yaml", v1.into_bytes()).await;
    let summary = &plan["Summary"];
    assert_eq!((summary["Create"].as_u64(), summary["Update"].as_u64(), summary["Remove"].as_u64()), (Some(0), Some(0), Some(0)), "{plan}");
    let (_, timeline) = get(&john, &portal, &format!("/sharepacks/{pack}/versions")).await;
    let reasons: Vec<&str> =
        timeline["Versions"].as_array().unwrap().iter().map(|version| version["ChangeReason"].as_str().unwrap()).collect();
    assert!(reasons.iter().any(|reason| reason.ends_with("rollback to version 1")), "{reasons:?}");
    assert_eq!(timeline["Versions"][0]["Data"]["upload"], 3, "the rollback is the pack's third version");
    // A teammate of the same business line may roll it back too: the version is their request now.
    let ann = portal.client_as(TESTERS[1]);
    let response = ann
        .post(format!("{}/workflow/sharepacks/{pack}/rollback", portal.url))
        .json(&serde_json::json!({"Version": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    completed(&portal, &pack).await;
    let (_, timeline) = get(&john, &portal, &format!("/sharepacks/{pack}/versions")).await;
    assert_eq!(timeline["Versions"][0]["Data"]["requested_by"], TESTERS[1], "{}", timeline["Versions"][0]);
    // Another business line cannot roll it back, nor learn that it exists.
    let legal = legal_requester(&portal).await;
    let response = legal
        .post(format!("{}/workflow/sharepacks/{pack}/rollback", portal.url))
        .json(&serde_json::json!({"Version": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

/// Two packs list the same share and recipient; the one that ran last drops them: both stay,
/// and the plan names the pack that still lists them.
async fn what_another_pack_still_lists_is_never_deleted(stack: Stack) {
    let vars = [("SHAREPACK_IDLE_POLL_MS", "50")];
    let Some(portal) = Portal::start(stack, &vars, 1).await else { return };
    let pack = |project: &str, own: &str, common: bool| {
        let mut text = format!("metadata: {{project_name: {project}, business_line: Corporate Finance}}\nrecipient:\n  - {{name: own-{own}, type: D2O, email: {own}@example.com}}\n");
        if common {
            text.push_str("  - {name: Common-Partner, type: D2O, email: common@example.com}\n");
        }
        text.push_str(&format!(
            "share:\n  - {{name: own_share_{own}, recipients: [own-{own}], data_objects: [catalog.schema.expense_table]}}\n"
        ));
        if common {
            text.push_str("  - {name: common_share, recipients: [common-partner], data_objects: [catalog.schema.revenue_table]}\n");
        }
        text.into_bytes()
    };
    let mut names = Vec::new();
    for (project, own) in [("Shared One", "one"), ("Shared Two", "two")] {
        let (code, body) = upload(&portal, "shared.yaml", pack(project, own, true)).await;
        assert_eq!(code, 202, "{body}");
        names.push(body["SharePackName"].as_str().unwrap().to_string());
        completed(&portal, body["SharePackId"].as_str().unwrap()).await;
    }
    let plan = plan_file(&portal.client_as(TESTERS[0]), &portal, "shared.yaml", pack("Shared Two", "two", false)).await;
    let deleted: Vec<&Value> = plan["Plan"].as_array().unwrap().iter().filter(|action| action["Action"] == "DELETE").collect();
    assert!(deleted.is_empty(), "nothing Shared One still lists is deleted: {deleted:?}");
    let kept: Vec<&str> = plan["Findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["Code"] == "kept_in_use")
        .map(|f| f["Message"].as_str().unwrap())
        .collect();
    assert_eq!(kept.len(), 2, "{plan}");
    assert!(kept.iter().all(|message| message.contains(&names[0])), "the plan names the pack that still lists them: {kept:?}");
}

sharepack_engine::on_both_stacks!(
    what_another_pack_still_lists_is_never_deleted,
    a_pack_rolls_back_to_an_earlier_version_through_a_run,
    share_packs_are_listed_filtered_paged_and_as_of_a_moment,
    who_could_read_a_table_and_what_a_recipient_could_read_then,
    an_exported_workbook_uploaded_unchanged_plans_no_change,
    a_refused_upload_is_a_draft_beside_the_applied_pack,
    timelines_and_diffs_of_what_runs_made,
    the_audit_trail_is_searchable_paged_and_exported,
);
