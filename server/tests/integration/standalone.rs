//! `sharepack sandbox --addr HOST:PORT` serves the sandbox workspace alone, at the root, for other
//! tools (the Databricks CLI or SDKs) to be pointed at.

use sharepack_engine::databricks::auth::Credentials;
use sharepack_engine::databricks::client::{NewRecipient, WorkspaceClient};
use sharepack_engine::databricks::retry::RetryPolicy;
use std::process::{Child, Command};
use std::time::Duration;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_sandbox_runs_alone() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("sharepack-standalone-{}", uuid::Uuid::new_v4()));
    let _sandbox = Running(
        Command::new(env!("CARGO_BIN_EXE_sharepack"))
            .args(["sandbox", "--addr", &format!("127.0.0.1:{port}")])
            .env("SHAREPACK_DATA_DIR", &dir)
            .env("SHAREPACK_SANDBOX_TOKEN", "dapi-standalone")
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .spawn()
            .expect("sharepack starts"),
    );
    let policy = RetryPolicy {
        max_attempts: 40,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(250),
        deadline: Duration::from_secs(30),
    };
    let client =
        WorkspaceClient::new(&format!("http://127.0.0.1:{port}"), Credentials::Pat("dapi-standalone".to_string().into()), policy).unwrap();
    // Retries cover the moment it takes the process to listen.
    let summary = client.metastore_summary().await.expect("the standalone sandbox answers");
    assert_eq!(summary["delta_sharing_organization_name"], "Sharepack Sandbox");
    let created = client
        .create_recipient(&NewRecipient { name: "cli-partner".into(), authentication_type: "TOKEN".into(), ..Default::default() })
        .await
        .unwrap();
    let link = created.tokens[0].activation_url.clone().unwrap();
    assert!(link.starts_with(&format!("http://127.0.0.1:{port}/delta_sharing/")), "{link}");
    assert!(client.table_exists("catalog.schema.revenue_table").await.unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}
