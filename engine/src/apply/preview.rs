//! A dry run with everything Sharepack knows beside the workspace: what earlier versions of the
//! pack made (so retirements are planned), and what the syncs found (the workspace's objects for
//! "did you mean", the directory for unknown people). The one way the portal, the REST API and
//! submission plan a pack.

use crate::databricks::client::WorkspaceClient;
use crate::finding::sort_findings;
use crate::intake::Intake;
use crate::plan::{DryRun, PlanOptions};
use crate::store::{Store, StoreError};
use crate::sync::known;

/// Plans `intake` against the workspace Sharepack knows as `url`, reached through `client`.
pub async fn dry_run(
    store: &Store,
    url: &str,
    client: &WorkspaceClient,
    intake: Intake,
    options: PlanOptions,
) -> Result<DryRun, StoreError> {
    let provisioned = super::provisioned::of_intake(store, url, &intake).await?;
    let known = match &intake.pack {
        Some(pack) => Some((pack.clone(), known::load(store, url, pack).await?)),
        None => None,
    };
    let synced = known.as_ref().map(|(_, known)| known.objects.clone()).unwrap_or_default();
    let mut run = crate::plan::dry_run(intake, client, options, provisioned, synced).await;
    if let Some((pack, known)) = known {
        let mut extra = known::directory_findings(&pack, &known);
        if run.unreachable {
            extra.extend(known::object_findings(&pack, &known));
        }
        if let Some(plan) = run.plan.as_mut() {
            plan.findings.extend(extra.iter().cloned());
            sort_findings(&mut plan.findings);
        }
        run.findings.extend(extra);
        sort_findings(&mut run.findings);
    }
    Ok(run)
}
