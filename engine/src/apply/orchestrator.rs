//! The orchestrator: takes one run from wherever it stopped to a result. It re-reads the
//! workspace before the first step (recomputing the plan and recording any difference from the
//! preview), stores the steps, runs them phase by phase (steps of a phase concurrently, within a
//! limit), stops between steps when cancelled or shutting down, removes what a failed run
//! created when compensation is on, and on success records recipients and shares in their SCD2
//! tables and every action in the audit trail.

use super::execute::{execute, undo};
use super::keys;
use super::steps::{steps, Work};
use crate::approval::{self, Binding, Policy};
use crate::databricks::error::ApiError;
use crate::databricks::workspaces::{Workspace, Workspaces};
use crate::identity::Actor;
use crate::intake::{read_pack, Limits};
use crate::model::{name_key, SharePack};
use crate::plan::{self, ActionKind, Plan, PlanOptions, ResourceType};
use crate::queue::JobError;
use crate::records::{AuditAction, PackStatus, RunStatus, SharePackRecord, StepStatus};
use crate::store::{AskAgain, AuditEntry, Change, Entity, Run, StepRecord, Store, StoreError};
use futures::StreamExt;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::watch;
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub struct ApplySettings {
    /// Steps of one phase run at most this many at a time.
    pub concurrency: usize,
    /// Remove what a failed NEW run created (UPDATE runs never remove what existed).
    pub compensate_new: bool,
}

impl Default for ApplySettings {
    fn default() -> Self {
        ApplySettings { concurrency: 4, compensate_new: true }
    }
}

/// How handling a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The run reached (or already had) this final status: the message is done.
    Finished(RunStatus),
    /// Shutting down: the run stopped between steps and continues on another delivery.
    Interrupted,
}

/// The message names a run that does not exist: no delivery will change that.
fn unknown_run(id: Uuid) -> JobError {
    JobError::Fatal(format!("run {id} does not exist"))
}

pub struct Orchestrator {
    store: Store,
    workspaces: Arc<Workspaces>,
    limits: Limits,
    settings: ApplySettings,
    policy: Arc<Policy>,
}

/// How preparing a run (re-reading the workspace, re-planning) ended.
enum Prepared {
    /// The steps are stored: apply them.
    Ready,
    /// The plan can no longer be applied, for this reason.
    Failed(String),
    /// The plan changed and needs approval again; the run waits for it.
    AwaitingApproval,
}

/// A step that failed, and whether trying again later may help.
struct StepFailure {
    step: i32,
    description: String,
    error: ApiError,
}

impl Orchestrator {
    /// The workspaces runs are applied to.
    pub fn workspaces(&self) -> &Arc<Workspaces> {
        &self.workspaces
    }

    pub fn new(store: Store, workspaces: Arc<Workspaces>, limits: Limits, settings: ApplySettings, policy: Arc<Policy>) -> Self {
        Orchestrator { store, workspaces, limits, settings, policy }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Takes run `id` as far as it goes. `stop` turns true when the worker shuts down. Its span
    /// names the run and the correlation id its audit entries share.
    #[tracing::instrument(name = "apply", skip_all, fields(run_id = %id, correlation_id = tracing::field::Empty))]
    pub async fn process(&self, id: Uuid, stop: &watch::Receiver<bool>) -> Result<Outcome, JobError> {
        let run = self.store.load_run(id).await?.ok_or(unknown_run(id))?;
        tracing::Span::current().record("correlation_id", tracing::field::display(run.correlation_id));
        if run.status.is_terminal() {
            return Ok(Outcome::Finished(run.status));
        }
        if run.cancel_requested {
            return self.cancelled(&run).await;
        }
        // Another instance may know a workspace this one does not (configurations roll out one
        // instance at a time): the message goes back for a worker that knows it, and the run
        // fails with this reason only when deliveries run out.
        let Ok(workspace) = self.workspaces.select(Some(&run.workspace_url), None) else {
            return Err(JobError::Retryable(format!("Workspace {} is not configured on the worker that took the run", run.workspace_url)));
        };
        if !self.store.start_delivery(id).await? {
            let now = self.store.load_run(id).await?.ok_or(unknown_run(id))?;
            return Ok(Outcome::Finished(now.status));
        }
        let pack = match self.pack(&run).await? {
            Ok(pack) => pack,
            Err(reason) => return self.fail(&run, None, &reason).await,
        };
        let mut stored = self.store.load_steps(id).await?;
        if stored.is_empty() {
            match self.prepare(&run, &pack, workspace).await {
                Ok(Prepared::Ready) => {}
                Ok(Prepared::Failed(reason)) => return self.fail(&run, None, &reason).await,
                // The message is done: the approval that releases the run sends a new one.
                Ok(Prepared::AwaitingApproval) => return Ok(Outcome::Finished(RunStatus::AwaitingApproval)),
                Err(JobError::Retryable(reason)) => {
                    self.store.set_progress(id, &format!("{reason}; it will be tried again")).await?;
                    return Err(JobError::Retryable(reason));
                }
                Err(error) => return Err(error),
            }
            stored = self.store.load_steps(id).await?;
        }
        let phases: BTreeSet<i32> = stored.iter().map(|step| step.phase).collect();
        for phase in phases {
            if *stop.borrow() {
                self.store.set_progress(id, "Paused: the worker is shutting down; another worker continues").await?;
                return Ok(Outcome::Interrupted);
            }
            let now = self.store.load_run(id).await?.ok_or(unknown_run(id))?;
            if now.status.is_terminal() {
                return Ok(Outcome::Finished(now.status));
            }
            if now.cancel_requested {
                return self.cancelled(&now).await;
            }
            let todo: Vec<&StepRecord> =
                stored.iter().filter(|step| step.phase == phase && !matches!(step.status, StepStatus::Done | StepStatus::Undone)).collect();
            let running: Vec<_> = todo.into_iter().map(|step| Box::pin(self.step(&now, &pack, workspace, step))).collect();
            let results: Vec<Result<(), StepFailure>> =
                futures::stream::iter(running).buffer_unordered(self.settings.concurrency.max(1)).collect().await;
            let failures: Vec<StepFailure> = results.into_iter().filter_map(Result::err).collect();
            if let Some(failure) = failures.iter().find(|failure| !failure.error.kind.is_transient()) {
                let reason = format!("Step {} ({}) failed: {}", failure.step, failure.description, failure.error);
                return self.fail(&now, Some(workspace), &reason).await;
            }
            if let Some(failure) = failures.first() {
                let message = format!("Step {} ({}) will be tried again: {}", failure.step, failure.description, failure.error);
                self.store.set_progress(id, &message).await?;
                return Err(JobError::Retryable(message));
            }
        }
        if self.store.set_run_status(id, RunStatus::Completed, "All resources provisioned successfully", None).await? {
            self.pack_status(&run, RunStatus::Completed, None).await?;
            self.audit(&run, AuditAction::RunCompleted, "provisioning_run", Some(run.id), "", json!({"upload": run.upload})).await?;
            tracing::info!(run = %id, "run completed");
        }
        Ok(Outcome::Finished(RunStatus::Completed))
    }

    /// Gives a run up (its message keeps failing): fails it with `reason`, removing what it
    /// created when compensation is on, as any other failure.
    pub async fn abandon(&self, id: Uuid, reason: &str) -> Result<(), JobError> {
        let run = self.store.load_run(id).await?.ok_or(unknown_run(id))?;
        // A run waiting for approval or its start time is not the message's to give up: no
        // message stands for it.
        if !run.status.is_terminal() && !matches!(run.status, RunStatus::AwaitingApproval | RunStatus::Scheduled) {
            let workspace = self.workspaces.select(Some(&run.workspace_url), None).ok();
            self.fail(&run, workspace, reason).await?;
            self.audit(&run, AuditAction::RunPoisoned, "provisioning_run", Some(run.id), reason, json!({"upload": run.upload})).await?;
        }
        Ok(())
    }

    /// The pack the run applies, read again from the stored upload (one parser for everything).
    async fn pack(&self, run: &Run) -> Result<Result<SharePack, String>, JobError> {
        let Some((name, bytes)) = self.store.pack_file_content(run.share_pack_id, run.upload).await? else {
            return Ok(Err(format!("The uploaded file (version {}) is missing", run.upload)));
        };
        let limits = self.limits;
        let intake = tokio::task::spawn_blocking(move || read_pack(&bytes, Some(&name), &limits))
            .await
            .map_err(|error| JobError::Retryable(error.to_string()))?;
        Ok(match intake {
            Ok(intake) if intake.is_valid() => intake.pack.ok_or_else(|| "The stored pack cannot be read".to_string()),
            Ok(_) | Err(_) => Err("The stored pack is no longer valid".to_string()),
        })
    }

    /// Re-reads the workspace and recomputes the plan. The same plan from the same state (the
    /// approved digest) goes ahead; a different one goes ahead only when the policy needs no
    /// approval for it (the difference is recorded), and otherwise waits for approval again,
    /// saying what changed.
    async fn prepare(&self, run: &Run, pack: &SharePack, workspace: &Workspace) -> Result<Prepared, JobError> {
        self.store.set_progress(run.id, "Re-reading the workspace").await?;
        let provisioned = super::provisioned::provisioned(&self.store, &run.workspace_url, pack).await?;
        let snapshot = match plan::read::read(&workspace.client, pack, provisioned).await {
            Ok(snapshot) => snapshot,
            Err(error) if error.kind.is_transient() => {
                return Err(JobError::Retryable(format!("The workspace could not be read: {error}")));
            }
            Err(error) => return Ok(Prepared::Failed(format!("The workspace could not be read: {error}"))),
        };
        // Strictness gated the submission; once submitted, a resource that appeared since is a
        // difference to record (or approve), not a reason to refuse.
        let fresh = plan::plan(pack, &snapshot, PlanOptions { strict: false });
        if let Some(error) = fresh.findings.iter().find(|finding| finding.is_error()) {
            return Ok(Prepared::Failed(format!(
                "The workspace changed since the preview and the pack can no longer be applied: {}",
                error.message
            )));
        }
        let binding = Binding::of(&self.policy, &fresh, run.confirm_removals, &snapshot, &pack.metadata.business_line, &run.workspace_url);
        let plan_json = serde_json::to_value(&fresh).unwrap_or_default();
        let same = run.plan_digest.as_deref() == Some(binding.digest.as_str());
        let details = if same {
            Value::Null
        } else {
            let approved: Option<Plan> = run.plan.clone().and_then(|plan| serde_json::from_value(plan).ok());
            let (added, dropped) = plan_difference(approved.as_ref(), &fresh);
            let state = match &run.plan_state {
                Some(before) => approval::state::changes(before, &binding.state),
                None => Vec::new(),
            };
            json!({"added": added, "dropped": dropped, "state": state})
        };
        // Whatever the way here (approval, retry, a redelivered message), the plan about to be
        // applied must carry the approvals the policy asks for, for this very digest.
        if !binding.requirement.none_needed() {
            let decisions = self.store.decisions(run.id).await?;
            let approvals: Vec<_> = decisions
                .iter()
                .filter(|decision| decision.decision == crate::records::Decision::Approved && decision.plan_digest == binding.digest)
                .collect();
            if !approval::decide::satisfied(&binding.requirement, &approvals) {
                let mut why = Vec::new();
                if !same && !approval::decide::requirement_of(run).none_needed() {
                    why.push("the plan changed since it was approved".to_string());
                } else if !same {
                    why.push("the plan changed since it was submitted".to_string());
                }
                why.extend(binding.requirement.why.iter().cloned());
                let progress = format!("Waiting for approval again: {}", why.join("; "));
                let approval = serde_json::to_value(&binding.requirement).unwrap_or_default();
                let again = AskAgain {
                    plan: &plan_json,
                    strategy: fresh.strategy,
                    plan_digest: &binding.digest,
                    plan_state: &binding.state,
                    approval: &approval,
                    changes: &details,
                    progress: &progress,
                };
                if self.store.ask_again(run.id, &again).await? {
                    self.audit(run, AuditAction::ApprovalRequestedAgain, "provisioning_run", Some(run.id), &why.join("; "), details)
                        .await?;
                    tracing::info!(run = %run.id, "the plan to apply lacks its approvals; waiting for approval again");
                }
                return Ok(Prepared::AwaitingApproval);
            }
        }
        let changed = details["added"].as_array().is_some_and(|added| !added.is_empty())
            || details["dropped"].as_array().is_some_and(|dropped| !dropped.is_empty());
        if changed {
            let reason = "the workspace changed since the preview";
            self.audit(run, AuditAction::PlanRecomputed, "provisioning_run", Some(run.id), reason, details).await?;
        }
        self.store.set_run_plan(run.id, &plan_json, fresh.strategy).await?;
        let stored: Vec<_> = steps(&fresh, run.confirm_removals).iter().map(super::steps::WorkStep::to_store).collect();
        self.store.insert_steps(run.id, &stored).await?;
        Ok(Prepared::Ready)
    }

    /// Runs one step and records how it went.
    #[tracing::instrument(name = "step", skip_all, fields(otel.name = %step.kind, step = step.step_no, phase = step.phase, otel.status_code = tracing::field::Empty))]
    async fn step(&self, run: &Run, pack: &SharePack, workspace: &Workspace, step: &StepRecord) -> Result<(), StepFailure> {
        let Some(work) = super::steps::stored_work(step) else {
            let error = ApiError::transport(crate::databricks::error::ErrorKind::Invalid, "the stored step cannot be read".to_string());
            return Err(StepFailure { step: step.step_no, description: step.kind.clone(), error });
        };
        let description = work.describe();
        let failure = |error: ApiError| StepFailure { step: step.step_no, description: description.clone(), error };
        let store_failure = |error: StoreError| {
            failure(ApiError::transport(crate::databricks::error::ErrorKind::Unavailable, crate::store::redact(&error.to_string())))
        };
        let before = self.store.step_started(run.id, step.step_no).await.map_err(store_failure)?;
        self.store.set_progress(run.id, &description).await.map_err(store_failure)?;
        let result = match &work {
            Work::Resolve => self.resolve(run, pack).await.map_err(store_failure),
            Work::Record => self.record(run, pack).await.map_err(store_failure),
            other => match execute(other, &workspace.client, before > 0).await {
                Ok(effect) => {
                    if let Some((recipient, url)) = effect.activation_link {
                        self.store.save_activation_link(run.id, &recipient, &url).await.map_err(store_failure)?;
                    }
                    Ok(())
                }
                Err(error) => Err(failure(error)),
            },
        };
        crate::telemetry::step_finished(&step.kind, result.is_ok(), before + 1);
        match &result {
            Ok(()) => self.store.step_finished(run.id, step.step_no, StepStatus::Done, None).await.map_err(store_failure)?,
            Err(failed) => {
                let message = failed.error.to_string();
                tracing::Span::current().record("otel.status_code", "ERROR");
                tracing::warn!(run = %run.id, step = step.step_no, error = %message, "step failed");
                self.store.step_finished(run.id, step.step_no, StepStatus::Failed, Some(&message)).await.map_err(store_failure)?;
            }
        }
        result
    }

    /// The tenant (business line), project and request behind the run, in their SCD2 tables.
    async fn resolve(&self, run: &Run, pack: &SharePack) -> Result<(), StoreError> {
        let meta = &pack.metadata;
        let requester = Actor::named(Some(&run.requested_by));
        let change = Change { by: &requester, reason: "resolved for a share-pack run" };
        let tenant = keys::tenant(&meta.business_line);
        self.write_if_changed(Entity::Tenant, tenant, &meta.business_line, json!({"name": meta.business_line}), &change).await?;
        let project = keys::project(&meta.business_line, &meta.project_name);
        let data = json!({"name": meta.project_name, "tenant_id": tenant});
        self.write_if_changed(Entity::Project, project, &meta.project_name, data, &change).await?;
        let data = json!({
            "share_pack_id": run.share_pack_id, "upload": run.upload, "project_id": project, "requested_by": run.requested_by,
            "workspace_url": run.workspace_url, "run_id": run.id,
        });
        self.write_if_changed(Entity::Request, run.id, &format!("{} v{}", meta.project_name, run.upload), data, &change).await
    }

    /// On success: recipients and shares as the workspace now has them, and every action in
    /// the audit trail under the run's correlation id.
    async fn record(&self, run: &Run, pack: &SharePack) -> Result<(), StoreError> {
        let reason = format!("provisioned by run {} (upload {})", run.id, run.upload);
        let requester = Actor::named(Some(&run.requested_by));
        let change = Change { by: &requester, reason: &reason };
        for recipient in &pack.recipients {
            let mut data = serde_json::to_value(plan::desired_recipient(recipient)).unwrap_or_default();
            data["email"] = json!(recipient.email);
            data["workspace_url"] = json!(run.workspace_url);
            data["share_pack_id"] = json!(run.share_pack_id);
            let key = keys::recipient(&run.workspace_url, &recipient.name);
            self.write_if_changed(Entity::Recipient, key, &name_key(&recipient.name), data, &change).await?;
        }
        for share in &pack.shares {
            let mut objects: Vec<String> = share.data_objects.iter().map(|object| name_key(&object.name)).collect();
            objects.sort();
            let mut recipients: Vec<String> = share.recipients.iter().map(|name| name_key(name)).collect();
            recipients.sort();
            let data = json!({
                "name": name_key(&share.name), "comment": share.comment, "objects": objects, "recipients": recipients,
                "workspace_url": run.workspace_url, "share_pack_id": run.share_pack_id,
            });
            self.write_if_changed(Entity::Share, keys::share(&run.workspace_url, &share.name), &name_key(&share.name), data, &change)
                .await?;
        }
        let plan: Option<Plan> =
            self.store.load_run(run.id).await?.and_then(|now| now.plan).and_then(|plan| serde_json::from_value(plan).ok());
        // What the run deleted is deleted in history too (its versions stay; a retried record
        // step finds nothing current and writes nothing).
        let deleted =
            plan.iter().flat_map(|plan| &plan.actions).filter(|action| action.action == ActionKind::Delete && run.confirm_removals);
        for action in deleted {
            let (entity, key) = match action.resource_type {
                ResourceType::Share => (Entity::Share, keys::share(&run.workspace_url, &action.name)),
                _ => (Entity::Recipient, keys::recipient(&run.workspace_url, &action.name)),
            };
            if self.store.current(entity, key).await?.is_some() {
                self.store.delete(entity, key, &change).await?;
            }
        }
        // The actions go to the audit trail once, in one transaction with a marker, so a
        // retried record step does not write them again.
        if self.store.audit_has(run.correlation_id, AuditAction::ActionsRecorded).await? {
            return Ok(());
        }
        let actions: Vec<_> =
            plan.iter().flat_map(|plan| plan.changes()).filter(|action| !action.needs_confirmation || run.confirm_removals).collect();
        let entities: Vec<String> = actions.iter().map(|action| format!("{:?}", action.resource_type).to_lowercase()).collect();
        let entry = |action, entity_type, reason, details| AuditEntry {
            actor: &Actor::Worker,
            action,
            entity_type,
            entity_id: None,
            version: None,
            correlation_id: Some(run.correlation_id),
            reason,
            details,
        };
        let mut entries: Vec<AuditEntry> = actions
            .iter()
            .zip(&entities)
            .map(|(action, entity)| {
                entry(
                    AuditAction::Applied(action.action),
                    entity.as_str(),
                    action.reason.as_str(),
                    json!({"name": action.name, "share": action.share, "changes": action.changes}),
                )
            })
            .collect();
        entries.push(entry(AuditAction::ActionsRecorded, "provisioning_run", "", json!({"count": actions.len()})));
        self.store.audit_all(&entries).await
    }

    async fn write_if_changed(&self, entity: Entity, key: Uuid, name: &str, data: Value, change: &Change<'_>) -> Result<(), StoreError> {
        match self.store.current(entity, key).await? {
            Some(current) if current.data == data && !current.is_deleted => Ok(()),
            _ => self.store.write(entity, key, name, &data, change).await.map(|_| ()),
        }
    }

    /// Fails the run, first removing what it created when compensation is on.
    async fn fail(&self, run: &Run, workspace: Option<&Workspace>, reason: &str) -> Result<Outcome, JobError> {
        let mut reason = reason.to_string();
        if let (true, Some(workspace)) = (run.compensate, workspace) {
            self.store.set_progress(run.id, "Failed; removing what this run created").await?;
            let (removed, left) = self.compensate(run, workspace).await?;
            if !removed.is_empty() {
                reason.push_str(&format!(". Removed again what this run had created: {}", removed.join(", ")));
            }
            if !left.is_empty() {
                reason.push_str(&format!(". Could not remove: {}", left.join(", ")));
            }
        }
        let progress = reason.split(". ").next().unwrap_or(&reason).to_string();
        if self.store.set_run_status(run.id, RunStatus::Failed, &progress, Some(&reason)).await? {
            self.pack_status(run, RunStatus::Failed, Some(&reason)).await?;
            self.audit(run, AuditAction::RunFailed, "provisioning_run", Some(run.id), &reason, json!({"upload": run.upload})).await?;
            tracing::warn!(run = %run.id, %reason, "run failed");
        }
        Ok(Outcome::Finished(RunStatus::Failed))
    }

    /// Deletes the recipients and shares this run created, newest first.
    async fn compensate(&self, run: &Run, workspace: &Workspace) -> Result<(Vec<String>, Vec<String>), JobError> {
        let steps = self.store.load_steps(run.id).await?;
        let (mut removed, mut left) = (Vec::new(), Vec::new());
        for step in steps.iter().rev() {
            let Some(work) = super::steps::stored_work(step) else { continue };
            let creates = matches!(work, Work::CreateRecipient { .. } | Work::CreateShare { .. });
            if !creates || !(step.status == StepStatus::Done || (step.status == StepStatus::Failed && step.attempts > 0)) {
                continue;
            }
            let what = format!("{} {}", if matches!(work, Work::CreateShare { .. }) { "share" } else { "recipient" }, work.target());
            match undo(&work, &workspace.client).await {
                Ok(true) => {
                    self.store.step_finished(run.id, step.step_no, StepStatus::Undone, None).await?;
                    self.audit(
                        run,
                        AuditAction::Compensated,
                        "provisioning_step",
                        None,
                        &format!("removed {what}"),
                        json!({"step": step.step_no}),
                    )
                    .await?;
                    removed.push(what);
                }
                Ok(false) if step.status == StepStatus::Done => {
                    self.store.step_finished(run.id, step.step_no, StepStatus::Undone, None).await?;
                }
                Ok(false) => {}
                Err(error) => left.push(format!("{what} ({error})")),
            }
        }
        Ok((removed, left))
    }

    async fn cancelled(&self, run: &Run) -> Result<Outcome, JobError> {
        if self.store.set_run_status(run.id, RunStatus::Cancelled, "Cancelled between steps; finished steps stay applied", None).await? {
            self.pack_status(run, RunStatus::Cancelled, Some("Cancelled")).await?;
        }
        Ok(Outcome::Finished(RunStatus::Cancelled))
    }

    /// A new version of the share pack with the run's result.
    async fn pack_status(&self, run: &Run, ended: RunStatus, error: Option<&str>) -> Result<(), JobError> {
        crate::telemetry::run_finished(ended, run.created_at);
        record_pack_status(&self.store, run, ended.recorded(), error).await.map_err(JobError::from)
    }

    async fn audit(
        &self,
        run: &Run,
        action: AuditAction,
        entity: &str,
        id: Option<Uuid>,
        reason: &str,
        details: Value,
    ) -> Result<(), StoreError> {
        self.store
            .audit(&AuditEntry {
                actor: &Actor::Worker,
                action,
                entity_type: entity,
                entity_id: id,
                version: None,
                correlation_id: Some(run.correlation_id),
                reason,
                details,
            })
            .await
    }
}

/// Writes the share pack's new status as a new SCD2 version (history keeps every outcome).
pub async fn record_pack_status(store: &Store, run: &Run, status: PackStatus, error: Option<&str>) -> Result<(), StoreError> {
    let Some(current) = store.share_pack(run.share_pack_id).await? else { return Ok(()) };
    let record = SharePackRecord {
        status,
        error: error.unwrap_or("").to_string(),
        run_id: Some(run.id),
        strategy: Some(run.strategy),
        upload: run.upload,
        ..current.record
    };
    let reason = format!("run {} {}", run.id, status.as_str().to_lowercase());
    store.write_share_pack(run.share_pack_id, &current.name, &record, &Change { by: &Actor::Worker, reason: &reason }).await
}

/// Changes in the recomputed plan that the approved one did not have, and the reverse.
fn plan_difference(approved: Option<&Plan>, fresh: &Plan) -> (Vec<String>, Vec<String>) {
    let describe = |plan: &Plan| -> BTreeSet<String> {
        plan.changes()
            .map(|action| {
                let share = action.share.as_deref().map(|share| format!(" in {share}")).unwrap_or_default();
                format!("{:?} {:?} {}{share}", action.action, action.resource_type, action.name)
            })
            .collect()
    };
    let before = approved.map(describe).unwrap_or_default();
    let after = describe(fresh);
    (after.difference(&before).cloned().collect(), before.difference(&after).cloned().collect())
}
