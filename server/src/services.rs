//! What the settings name: the store (migrated, the sandbox seeded), the work queue, the
//! workspaces and the sandbox's HTTP state. Start-up, the router and tests build on these.

use crate::config::Settings;
use crate::sandbox;
use sharepack_engine::databricks::retry::RetryPolicy;
use sharepack_engine::databricks::workspaces::{SandboxEndpoint, Workspaces};
use sharepack_engine::queue::{AzureQueue, ConnectionString, EmbeddedQueue, Queue, QueueError};
use sharepack_engine::sandbox::{Sandbox, SEED_TABLES};
use sharepack_engine::store::{Store, StoreError};
use std::sync::Arc;

/// Opens the store (PostgreSQL when a connection string is set, SQLite otherwise), migrating it.
pub async fn open_store(settings: &Settings) -> Result<Store, StoreError> {
    use secrecy::ExposeSecret;
    let url = settings.database_url.as_ref().map(|url| url.expose_secret().to_string());
    let store = Store::open(url.as_deref(), &settings.data_dir, settings.pool).await?;
    let extra: Vec<&str> = settings.sandbox_tables.iter().map(String::as_str).collect();
    let sandbox = sandbox_workspace(settings, &store);
    sandbox.seed(SEED_TABLES).await?;
    sandbox.seed(&extra).await?;
    Ok(store)
}

/// The sandbox workspace on this store, served at `<portal>/sandbox`.
pub fn sandbox_workspace(settings: &Settings, store: &Store) -> Sandbox {
    Sandbox::new(store.clone(), "sandbox", settings.sandbox_address.clone())
}

/// The sandbox as this process reaches it, under the name its database gave it. The sandbox's
/// state is in the database, so every portal and worker on it serves and calls the same
/// workspace: the address of the first instance that opened the database is recorded as its
/// name (the name runs, keys and history keep), and every later instance, whatever its own
/// address, uses that name.
pub async fn sandbox_endpoint(settings: &Settings, store: &Store) -> Result<SandboxEndpoint, StoreError> {
    let (space, kind, name) = ("sharepack", "sandbox", "identity");
    store.insert_doc(space, kind, name, &serde_json::json!({"url": settings.sandbox_address})).await?;
    let doc = store.get_doc(space, kind, name).await?;
    let identity = doc.as_ref().and_then(|doc| doc.body["url"].as_str()).map(str::to_string);
    let identity = identity.ok_or_else(|| StoreError::Corrupt("the sandbox's recorded name is missing or not text".into()))?;
    Ok(SandboxEndpoint { identity, address: settings.sandbox_address.clone() })
}

/// The sandbox's HTTP state for these settings.
pub fn sandbox_state(settings: &Settings, store: &Store) -> sandbox::SandboxState {
    use secrecy::ExposeSecret;
    sandbox::SandboxState {
        sandbox: sandbox_workspace(settings, store),
        graph: sharepack_engine::sandbox::directory::Graph::new(store.clone(), "sandbox", format!("{}/graph", settings.sandbox_address)),
        token: Arc::new(settings.sandbox_token.clone()),
        people: Arc::new(sandbox::people(settings.sandbox_people.expose_secret())),
        faults: Arc::new(settings.sandbox_faults.clone()),
    }
}

/// The configured workspaces, the sandbox (see [`sandbox_endpoint`]) among them.
pub fn workspaces(settings: &Settings, sandbox: &SandboxEndpoint) -> Result<Workspaces, String> {
    use secrecy::ExposeSecret;
    Workspaces::configure(settings.workspaces.expose_secret(), sandbox, settings.sandbox_token.clone(), RetryPolicy::default())
}

/// The workspace settings checked before anything else starts (the sandbox named by its own
/// address until the database is open).
pub fn check_workspaces(settings: &Settings) -> Result<(), String> {
    workspaces(settings, &SandboxEndpoint::at(settings.sandbox_address.clone())).map(drop)
}

/// The work queue these settings name: Azure Storage Queue when a connection string is set,
/// otherwise the embedded queue in the store. Connecting checks the settings only; call
/// [`Queue::ensure`] before use.
pub fn queue(settings: &Settings, store: &Store) -> Result<Queue, QueueError> {
    use secrecy::ExposeSecret;
    match &settings.azure_queue_connection_string {
        Some(text) => {
            let connection = ConnectionString::parse(text.expose_secret())?;
            Ok(Queue::Azure(AzureQueue::connect(&connection, &settings.azure_queue_name)?))
        }
        None => Ok(Queue::Embedded(EmbeddedQueue::new(store.clone(), &settings.azure_queue_name))),
    }
}
