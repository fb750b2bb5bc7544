//! Run records in the store: activation links are handed over once, to the claim only, and
//! forgotten when nobody takes them; scheduled runs come due at their time, and are queued once.

use sharepack_engine::model::Strategy;
use sharepack_engine::store::testing::{fresh_store, Stack, TempDir};
use sharepack_engine::store::{NewRun, Store};
use uuid::Uuid;

async fn activation_links_go_to_the_claim_once_and_expire(stack: Stack) {
    let dir = TempDir::new("sharepack-runs");
    if let Some(store) = fresh_store(stack, &dir).await {
        let (run, claim) = (Uuid::now_v7(), Uuid::new_v4());
        let plan = serde_json::json!({});
        let new = NewRun {
            id: run,
            share_pack_id: Uuid::new_v4(),
            upload: 1,
            workspace_url: "http://w",
            strategy: Strategy::New,
            requested_by: "ann@example.com",
            plan: &plan,
            confirm_removals: false,
            compensate: true,
            claim,
            status: sharepack_engine::records::RunStatus::Queued,
            progress: "Waiting for a worker",
            plan_digest: "",
            plan_state: &plan,
            approval: &plan,
            start_at: None,
        };
        store.insert_run(&new).await.unwrap();
        // A link nobody took, from eight days ago.
        let stale = Uuid::now_v7();
        let old = "2000-01-01T00:00:00.000000Z";
        match &store {
            Store::Sqlite(pool) => {
                sqlx::query("INSERT INTO activation_links (run_id, recipient, url, created_at) VALUES ($1, 'old', 'https://x/old', $2)")
                    .bind(stale)
                    .bind(old)
                    .execute(pool)
                    .await
                    .unwrap();
            }
            Store::Postgres(pool) => {
                sqlx::query("INSERT INTO activation_links (run_id, recipient, url, created_at) VALUES ($1, 'old', 'https://x/old', $2::timestamptz)")
                    .bind(stale)
                    .bind(old)
                    .execute(pool)
                    .await
                    .unwrap();
            }
        }
        store.save_activation_link(run, "partner", "https://x/new").await.unwrap();
        // Housekeeping's job.
        assert_eq!(store.expire_activation_links().await.unwrap(), 1, "{}: only the stale link expires", store.backend());
        assert_eq!(store.pending_activation_links(stale).await.unwrap(), 0, "{}: stale links are forgotten", store.backend());
        assert!(store.take_activation_links(run, Uuid::new_v4()).await.unwrap().is_empty(), "a wrong claim gets nothing");
        assert_eq!(store.pending_activation_links(run).await.unwrap(), 1, "and takes nothing away");
        let taken = store.take_activation_links(run, claim).await.unwrap();
        assert_eq!(taken, vec![("partner".to_string(), "https://x/new".to_string())]);
        assert!(store.take_activation_links(run, claim).await.unwrap().is_empty(), "once");
    }
}

sharepack_engine::on_both_stacks!(activation_links_go_to_the_claim_once_and_expire);

async fn scheduled_runs_come_due_at_their_time_and_start_once(stack: Stack) {
    use sharepack_engine::records::RunStatus;
    let dir = TempDir::new("sharepack-runs");
    let Some(store) = fresh_store(stack, &dir).await else { return };
    let plan = serde_json::json!({});
    let now = chrono::Utc::now();
    let mut ids = Vec::new();
    // Due a minute ago, due in an hour, and a queued run with a start time (not the scheduler's).
    for (minutes, status) in [(-1, RunStatus::Scheduled), (60, RunStatus::Scheduled), (-5, RunStatus::Queued)] {
        let id = Uuid::now_v7();
        let new = NewRun {
            id,
            share_pack_id: Uuid::new_v4(),
            upload: 1,
            workspace_url: "http://w",
            strategy: Strategy::New,
            requested_by: "ann@example.com",
            plan: &plan,
            confirm_removals: false,
            compensate: true,
            claim: Uuid::new_v4(),
            status,
            progress: "",
            plan_digest: "",
            plan_state: &plan,
            approval: &plan,
            start_at: Some(now + chrono::Duration::minutes(minutes)),
        };
        store.insert_run(&new).await.unwrap();
        ids.push(id);
    }
    let stored = store.load_run(ids[0]).await.unwrap().unwrap();
    let kept = stored.start_at.unwrap();
    assert!((kept - (now - chrono::Duration::minutes(1))).num_milliseconds().abs() < 1000, "the start time is kept: {kept}");
    assert_eq!(store.due_runs(now).await.unwrap(), vec![ids[0]]);
    assert!(store.start_scheduled(ids[0]).await.unwrap());
    assert!(!store.start_scheduled(ids[0]).await.unwrap(), "queued once");
    assert_eq!(store.load_run(ids[0]).await.unwrap().unwrap().status, RunStatus::Queued);
    assert!(store.due_runs(now).await.unwrap().is_empty());
    // The queue refused it: back to waiting, due again at the next look.
    assert!(store.reschedule(ids[0], "queue away").await.unwrap());
    assert_eq!(store.load_run(ids[0]).await.unwrap().unwrap().status, RunStatus::Scheduled);
    assert_eq!(store.due_runs(now).await.unwrap(), vec![ids[0]]);
    assert!(store.start_scheduled(ids[0]).await.unwrap());
    assert_eq!(store.due_runs(now + chrono::Duration::hours(2)).await.unwrap(), vec![ids[1]]);
    // A scheduled run can be cancelled before its time.
    assert_eq!(store.request_cancel(ids[1]).await.unwrap(), Some(RunStatus::Cancelled));
    assert!(store.due_runs(now + chrono::Duration::hours(2)).await.unwrap().is_empty());
}

sharepack_engine::on_both_stacks!(scheduled_runs_come_due_at_their_time_and_start_once);
