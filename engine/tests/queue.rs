//! The queue contract, on every backend: the embedded queue on SQLite and on PostgreSQL, and
//! Azure Storage Queue on Azurite (when the test command started it).

use sharepack_engine::queue::{AzureQueue, ConnectionString, EmbeddedQueue, Job, Queue, QueueError};
use sharepack_engine::store::{PoolSettings, Store};
use std::time::Duration;

async fn queues() -> Vec<(&'static str, Queue)> {
    let dir = std::env::temp_dir().join(format!("sharepack-queue-{}", uuid::Uuid::new_v4()));
    let sqlite = Store::open(None, &dir, PoolSettings::default()).await.unwrap();
    let mut all = vec![("sqlite", Queue::Embedded(EmbeddedQueue::new(sqlite, "jobs")))];
    match sharepack_engine::store::testing::fresh_postgres(PoolSettings::default()).await {
        Some((store, _)) => all.push(("postgres", Queue::Embedded(EmbeddedQueue::new(store, "jobs")))),
        None => assert!(std::env::var("SHAREPACK_TEST_REQUIRE_PG").is_err(), "PostgreSQL was promised"),
    }
    if let Some(text) = sharepack_engine::store::testing::azurite() {
        let name = format!("q{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
        let queue = Queue::Azure(AzureQueue::connect(&ConnectionString::parse(&text).unwrap(), &name).unwrap());
        queue.ensure().await.unwrap();
        queue.ensure().await.expect("ensure twice is fine");
        all.push(("azurite", queue));
    }
    all
}

#[tokio::test]
async fn leases_hide_messages_renewals_extend_them_and_expiry_redelivers() {
    for (backend, queue) in queues().await {
        let run = uuid::Uuid::new_v4();
        queue.send(&Job::ApplyRun { run_id: run }).await.unwrap();
        assert_eq!(queue.depth().await.unwrap().0, 1, "{backend}");
        let mut got = queue.receive(10, Duration::from_secs(2)).await.unwrap();
        assert_eq!(got.len(), 1, "{backend}");
        assert_eq!(Job::decode(&got[0].body).unwrap(), Job::ApplyRun { run_id: run }, "{backend}: ids only");
        assert_eq!(got[0].dequeue_count, 1, "{backend}");
        assert!(queue.receive(10, Duration::from_secs(2)).await.unwrap().is_empty(), "{backend}: hidden while leased");
        let old = got[0].clone();
        queue.renew(&mut got[0], Duration::from_secs(1)).await.unwrap();
        assert_ne!(old.receipt, got[0].receipt, "{backend}: a renewal gives a new receipt");
        assert!(
            matches!(queue.delete(&old).await, Err(QueueError::LeaseLost | QueueError::Refused(_))),
            "{backend}: old receipts are void"
        );
        tokio::time::sleep(Duration::from_millis(1600)).await;
        let again = queue.receive(10, Duration::from_secs(30)).await.unwrap();
        assert_eq!(again.len(), 1, "{backend}: delivered again after the lease ran out");
        assert_eq!(again[0].dequeue_count, 2, "{backend}");
        assert!(queue.delete(&got[0]).await.is_err(), "{backend}: the first receiver lost the message");
        queue.delete(&again[0]).await.unwrap();
        assert_eq!(queue.depth().await.unwrap(), (0, 0), "{backend}");
    }
}

#[tokio::test]
async fn released_messages_come_back_and_poison_moves_them_aside() {
    for (backend, queue) in queues().await {
        for _ in 0..3 {
            queue.send(&Job::ApplyRun { run_id: uuid::Uuid::new_v4() }).await.unwrap();
        }
        let mut batch = queue.receive(2, Duration::from_secs(30)).await.unwrap();
        assert_eq!(batch.len(), 2, "{backend}: at most the batch size");
        queue.release(&mut batch[0], Duration::ZERO).await.unwrap();
        queue.poison(&batch[1]).await.unwrap();
        let rest = queue.receive(10, Duration::from_secs(30)).await.unwrap();
        assert_eq!(rest.len(), 2, "{backend}: the released one and the third");
        for delivery in &rest {
            queue.delete(delivery).await.unwrap();
        }
        assert_eq!(queue.depth().await.unwrap(), (0, 1), "{backend}: one in the poison queue");
    }
}
