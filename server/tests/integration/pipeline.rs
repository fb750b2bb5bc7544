//! `sharepack pack ...` as a pipeline runs it: the built binary against a portal over HTTP,
//! checked by its output and exit codes (0 done, 1 errors or a failed run, 2 usage, 3 changes
//! with --fail-on-change, 4 refused or unreachable, 5 timed out); and the batch endpoints it
//! calls, several packs in one request, each on its own.

use crate::support::{bearer_client, Portal};
use serde_json::Value;
use sharepack_engine::records::RunStatus;
use sharepack_engine::store::testing::{sample, Stack};
use std::path::Path;

const JOHN: &str = "john.doe@jll.com";
const ANN: &str = "ann@example.com";

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| panic!("stdout is not JSON ({error}):\n{}", self.stdout))
    }
}

impl std::fmt::Display for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Runs `sharepack pack <args>` with the portal and token in the environment, as CI passes them
/// (off the runtime's thread, which serves the portal meanwhile).
async fn pack(portal: &str, token: &str, args: &[&str]) -> Ran {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sharepack"));
    command.arg("pack").args(args).env("SHAREPACK_PORTAL", portal).env("SHAREPACK_TOKEN", token);
    let output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().expect("the binary runs");
    Ran {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn path(file: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples").join(file);
    root.display().to_string()
}

#[tokio::test]
async fn a_pipeline_validates_plans_and_submits_with_exit_codes() {
    let portal = Portal::start(Stack::Embedded, &[("SHAREPACK_IDLE_POLL_MS", "50")], 1).await.unwrap();
    let john = portal.token_for(JOHN);
    let (sales, invalid) = (path("valid/sales.yaml"), path("invalid/recipients.yaml"));

    let ran = pack(&portal.url, john, &["validate", &sales, &invalid]).await;
    assert_eq!(ran.code, 1, "{ran}");
    assert!(ran.stdout.contains("sales.yaml: valid (YAML pack, 0 error(s)"), "{ran}");
    assert!(ran.stdout.contains("recipients.yaml: not valid"), "{ran}");
    assert!(ran.stdout.contains("2 file(s): 1 valid, 1 with errors, 0 refused"), "{ran}");
    // Every finding the sample must produce, with its code and where it is.
    let expected = std::fs::read_to_string(path("invalid/recipients.expected")).unwrap();
    for line in expected.lines().filter(|line| !line.trim().is_empty()) {
        let mut words = line.splitn(3, ' ');
        let (severity, code, location) = (words.next().unwrap(), words.next().unwrap(), words.next().unwrap());
        assert!(ran.stdout.contains(&format!("{severity} at {location}: [{code}]")), "{line} is printed\n{ran}");
    }

    // The plan in the words the portal tells it (the upload page's story), and as JSON.
    let ran = pack(&portal.url, john, &["plan", &sales]).await;
    assert_eq!(ran.code, 0, "{ran}");
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(sample("valid/sales.yaml")).file_name("sales.yaml"));
    let rest: Value = bearer_client(john)
        .post(format!("{}/workflow/sharepack/plan", portal.url))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let story: Vec<&str> = rest["Story"].as_array().unwrap().iter().map(|line| line.as_str().unwrap()).collect();
    assert!(!story.is_empty());
    for line in &story {
        assert!(ran.stdout.contains(line), "the story line {line:?} is printed\n{ran}");
    }
    assert!(ran.stdout.contains("NEW plan on Sandbox"), "{ran}");
    let ran = pack(&portal.url, john, &["plan", "--fail-on-change", &sales]).await;
    assert_eq!(ran.code, 3, "a plan that changes the workspace fails the step when asked\n{ran}");
    let ran = pack(&portal.url, john, &["plan", "--json", &sales]).await;
    assert_eq!(ran.code, 0, "{ran}");
    let json = ran.json();
    assert_eq!(json["Summary"]["WithChanges"], 1, "{json}");
    assert_eq!(json["Results"][0]["Answer"]["Story"].as_array().unwrap().len(), story.len(), "{json}");

    // Submitted and followed to the end: the steps as the run page lists them.
    let ran = pack(&portal.url, john, &["submit", "--wait", "--timeout", "120", &sales]).await;
    assert_eq!(ran.code, 0, "{ran}");
    assert!(!ran.stdout.contains("ClaimToken"), "{ran}");
    assert!(ran.stdout.contains("queued for provisioning"), "{ran}");
    assert!(ran.stdout.contains("COMPLETED"), "{ran}");
    assert!(ran.stdout.contains("step 1/") && ran.stdout.contains("DONE"), "{ran}");
    let ran = pack(&portal.url, john, &["submit", "--wait", "--json", &sales]).await;
    assert_eq!(ran.code, 0, "{ran}");
    assert_eq!(ran.json()["Runs"][0]["status"], "COMPLETED", "--wait --json prints one JSON document\n{ran}");
    let ran = pack(&portal.url, john, &["plan", "--fail-on-change", &sales]).await;
    assert_eq!(ran.code, 0, "nothing left to change after the run\n{ran}");
    assert!(ran.stdout.contains("UPDATE plan") && ran.stdout.contains("0 to create, 0 to update, 0 to remove"), "{ran}");

    // Status by the share pack's id, as the upload answered it.
    let claims = portal.data_dir.join("claims.txt");
    let ran = pack(&portal.url, john, &["submit", "--json", "--claims", &claims.display().to_string(), &sales]).await;
    assert_eq!(ran.code, 0, "{ran}");
    let submitted = ran.json();
    // The claim is in the file, never on the output a CI log keeps.
    let run_id = submitted["Results"][0]["Answer"]["RunId"].as_str().unwrap();
    assert!(submitted["Results"][0]["Answer"].get("ClaimToken").is_none_or(Value::is_null), "{submitted}");
    let written = std::fs::read_to_string(&claims).unwrap();
    assert!(written.starts_with(run_id) && written.trim().len() > run_id.len() + 30, "{written}");
    let pack_id = submitted["Results"][0]["Answer"]["SharePackId"].as_str().unwrap().to_string();
    let ran = pack(&portal.url, john, &["wait", &pack_id, "--json"]).await;
    assert_eq!(ran.code, 0, "{ran}");
    assert_eq!(ran.json()["status"], "COMPLETED", "{ran}");
    let ran = pack(&portal.url, john, &["status", &pack_id]).await;
    assert_eq!(ran.code, 0, "{ran}");
    assert!(ran.stdout.contains(": COMPLETED, run "), "{ran}");

    // Refused, unreachable, missing: each its own code, with a sentence.
    let ran = pack(&portal.url, "spk_forged", &["plan", &sales]).await;
    assert_eq!(ran.code, 4, "{ran}");
    assert!(ran.stderr.contains("(401)"), "{ran}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let ran = pack(&format!("http://{closed}"), john, &["validate", &sales]).await;
    assert_eq!(ran.code, 4, "{ran}");
    assert!(ran.stderr.contains("cannot reach the portal"), "{ran}");
    // A claims file that cannot be written stops the command before anything is submitted.
    let before = portal.store.runs_of_pack(pack_id.parse().unwrap()).await.unwrap().len();
    let ran = pack(&portal.url, john, &["submit", "--claims", "/no/such/dir/claims.txt", &sales]).await;
    assert_eq!(ran.code, 2, "{ran}");
    assert!(ran.stderr.contains("/no/such/dir/claims.txt: cannot write"), "{ran}");
    assert_eq!(portal.store.runs_of_pack(pack_id.parse().unwrap()).await.unwrap().len(), before, "nothing was submitted");
    let ran = pack(&portal.url, john, &["validate", "no-such-file.yaml"]).await;
    assert_eq!(ran.code, 2, "{ran}");
    assert!(ran.stderr.contains("no-such-file.yaml: cannot read"), "{ran}");
    let ran = pack(&portal.url, john, &["status", "not-an-id"]).await;
    assert_eq!(ran.code, 4, "{ran}");
    assert!(ran.stderr.contains("(400)"), "{ran}");
}

#[tokio::test]
async fn a_failed_run_fails_the_step() {
    let vars = [("SHAREPACK_SANDBOX_FAULTS", "fail=POST /shares"), ("SHAREPACK_IDLE_POLL_MS", "50"), ("SHAREPACK_RETRY_DELAY_MS", "50")];
    let portal = Portal::start(Stack::Embedded, &vars, 1).await.unwrap();
    let ran = pack(&portal.url, portal.token_for(JOHN), &["submit", "--wait", &path("valid/sales.yaml")]).await;
    assert_eq!(ran.code, 1, "{ran}");
    assert!(ran.stdout.contains("FAILED"), "{ran}");
}

#[tokio::test]
async fn an_approver_approves_the_plan_the_command_printed() {
    let vars = [("SHAREPACK_APPROVALS", r#"{"approvals": 1}"#), ("SHAREPACK_IDLE_POLL_MS", "50")];
    let portal = Portal::start(Stack::Embedded, &vars, 1).await.unwrap();
    let ran = pack(&portal.url, portal.token_for(JOHN), &["submit", "--json", &path("valid/sales.yaml")]).await;
    assert_eq!(ran.code, 0, "{ran}");
    let json = ran.json();
    let answer = &json["Results"][0]["Answer"];
    assert_eq!(answer["RunStatus"], "AWAITING_APPROVAL", "{json}");
    let run = answer["RunId"].as_str().unwrap().to_string();

    // The submitter is not offered their own plan; waiting on it times out.
    let ran = pack(&portal.url, portal.token_for(JOHN), &["approve", &run]).await;
    assert_eq!(ran.code, 4, "{ran}");
    assert!(ran.stderr.contains("not waiting for your decision"), "{ran}");
    let ran = pack(&portal.url, portal.token_for(JOHN), &["wait", &run, "--timeout", "1"]).await;
    assert_eq!(ran.code, 5, "{ran}");

    let ran = pack(&portal.url, portal.token_for(ANN), &["approve", &run, "--comment", "looks right"]).await;
    assert_eq!(ran.code, 0, "{ran}");
    assert!(ran.stdout.contains("requested by john.doe@jll.com"), "the plan is shown before the decision\n{ran}");
    assert!(ran.stdout.contains("QUEUED"), "{ran}");
    let ran = pack(&portal.url, portal.token_for(JOHN), &["wait", &run, "--timeout", "120"]).await;
    assert_eq!(ran.code, 0, "{ran}");
    let stored = portal.store.load_run(run.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.status, RunStatus::Completed);
}

/// Scheduled provisioning: approved now, started at the given time by whichever worker looks.
#[tokio::test]
async fn a_run_set_to_start_later_waits_scheduled_then_runs() {
    let vars = [("SHAREPACK_APPROVALS", r#"{"approvals": 1}"#), ("SHAREPACK_IDLE_POLL_MS", "50"), ("SHAREPACK_SCHEDULE_POLL_MS", "100")];
    let portal = Portal::start(Stack::Embedded, &vars, 1).await.unwrap();
    // The scheduler runs with housekeeping, as in every portal and worker process.
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let orchestrator = server::orchestrator(&portal.settings, portal.store.clone(), portal.workspaces.clone());
    let _scheduler = server::spawn_housekeeping(&portal.settings, orchestrator, portal.queue.clone(), stopped);
    let sales = path("valid/sales.yaml");
    let start_at = chrono::Utc::now() + chrono::Duration::seconds(3);
    let at = start_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let ran = pack(&portal.url, portal.token_for(JOHN), &["submit", "--json", "--start-at", &at, &sales]).await;
    assert_eq!(ran.code, 0, "{ran}");
    let json = ran.json();
    let answer = &json["Results"][0]["Answer"];
    assert_eq!(answer["RunStatus"], "AWAITING_APPROVAL", "{json}");
    assert!(answer["Message"].as_str().unwrap().contains("once approved it starts at"), "{json}");
    let run: uuid::Uuid = answer["RunId"].as_str().unwrap().parse().unwrap();

    let ran = pack(&portal.url, portal.token_for(ANN), &["approve", &run.to_string()]).await;
    assert_eq!(ran.code, 0, "{ran}");
    assert!(ran.stdout.contains("SCHEDULED"), "{ran}");
    let stored = portal.store.load_run(run).await.unwrap().unwrap();
    assert_eq!(stored.status, RunStatus::Scheduled, "approved a moment after submitting, well before its time");
    assert!(stored.progress.starts_with("Scheduled to start at"), "{}", stored.progress);
    // (The queue is not empty: the approval's notifications travel through it too.)
    assert_eq!(stored.deliveries, 0, "no worker has taken the run before its time");
    let ran = pack(&portal.url, portal.token_for(JOHN), &["wait", &run.to_string(), "--timeout", "60"]).await;
    assert_eq!(ran.code, 0, "{ran}");
    let stored = portal.store.load_run(run).await.unwrap().unwrap();
    assert_eq!(stored.status, RunStatus::Completed);
    assert!(stored.started_at.unwrap() >= start_at, "started {:?}, scheduled for {start_at}", stored.started_at);

    // Times that cannot be used are refused where they are named, before anything is stored.
    let john = bearer_client(portal.token_for(JOHN));
    for (start_at, code) in
        [("2020-01-01T00:00:00Z", "start_at_passed"), ("next tuesday", "time_invalid"), ("2999-01-01", "start_at_too_far")]
    {
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(sample("valid/sales.yaml")).file_name("sales.yaml"));
        let response = john
            .post(format!("{}/workflow/sharepack/upload", portal.url))
            .query(&[("start_at", start_at)])
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{start_at}");
        let body: Value = response.json().await.unwrap();
        assert_eq!((body["Code"].as_str(), body["Location"].as_str()), (Some(code), Some("start_at")), "{body}");
    }
}

/// One request, several packs: each answered as the one-file endpoint would, one summary.
#[tokio::test]
async fn a_batch_answers_each_file_on_its_own() {
    let portal = Portal::start(Stack::Embedded, &[("SHAREPACK_MAX_UPLOAD_BYTES", "20000")], 0).await.unwrap();
    let john = bearer_client(portal.token_for(JOHN));
    let part = |file: &str| reqwest::multipart::Part::bytes(sample(file)).file_name(file.rsplit('/').next().unwrap().to_string());
    let form = reqwest::multipart::Form::new()
        .part("file", part("valid/sales.yaml"))
        // Ann's pack: John may not submit it as hers (refused, as the one-file endpoint refuses it).
        .part("file", part("valid/minimal.yaml"))
        .part("file", reqwest::multipart::Part::bytes(vec![b'#'; 30_000]).file_name("huge.yaml"))
        .part("file", part("invalid/syntax.yaml"));
    let response = john.post(format!("{}/workflow/sharepack/batch/upload", portal.url)).multipart(form).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    let statuses: Vec<(&str, u64)> =
        body["Results"].as_array().unwrap().iter().map(|item| (item["File"].as_str().unwrap(), item["Status"].as_u64().unwrap())).collect();
    assert_eq!(statuses, [("sales.yaml", 202), ("minimal.yaml", 400), ("huge.yaml", 413), ("syntax.yaml", 400)], "{body}");
    assert_eq!(body["Results"][0]["Answer"]["RunStatus"], "QUEUED", "{body}");
    assert_eq!(body["Results"][1]["Error"]["Code"], "requestor_not_you", "{body}");
    assert_eq!(body["Results"][2]["Error"]["Code"], "file_too_large", "{body}");
    assert_eq!(body["Results"][3]["Answer"]["Status"], "VALIDATION_FAILED", "{body}");
    assert_eq!(body["Summary"], serde_json::json!({"Files": 4, "Succeeded": 1, "Failed": 1, "Refused": 2}), "{body}");

    // The same rules as one file: a role is needed, the form must be multipart, and a batch has a size.
    let form = || reqwest::multipart::Form::new().part("file", part("valid/sales.yaml"));
    let auditor = crate::support::make_token(
        &portal.store,
        "audit@example.com",
        &[sharepack_engine::access::Grant::everywhere(sharepack_engine::access::Role::Auditor)],
    )
    .await;
    let refused =
        bearer_client(&auditor).post(format!("{}/workflow/sharepack/batch/plan", portal.url)).multipart(form()).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let plain = john.post(format!("{}/workflow/sharepack/batch/validate", portal.url)).body("file=x").send().await.unwrap();
    assert_eq!(plain.status().as_u16(), 415);
    let many = (0..=server::rest::batch::MOST_FILES).fold(reqwest::multipart::Form::new(), |form, n| {
        form.part("file", reqwest::multipart::Part::bytes(b"x: 1".to_vec()).file_name(format!("{n}.yaml")))
    });
    let response = john.post(format!("{}/workflow/sharepack/batch/validate", portal.url)).multipart(many).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["Code"], "too_many_files", "{body}");
}
