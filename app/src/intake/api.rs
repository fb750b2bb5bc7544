//! Server functions of the intake pages and the DTOs they exchange with the browser.
//!
//! Bodies stay thin: read the request, hand the bytes to the engine, store the outcome. The DTOs
//! are the wire contract between server and browser, kept apart from storage types.

use crate::error::Answer;
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};
use serde::{Deserialize, Serialize};
#[cfg(feature = "ssr")]
use sharepack_engine::error::Problem;
use sharepack_engine::intake::Intake;
use std::collections::BTreeMap;

/// An uploaded file and what intake made of it, as the upload page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadView {
    pub id: String,
    pub file_name: String,
    pub size: u64,
    /// RFC 3339.
    pub uploaded_at: String,
    pub outcome: Outcome,
    /// Source lines of a YAML file that findings point at, by line number.
    pub excerpts: BTreeMap<u32, String>,
    /// What the pack would change in the workspace (valid packs only).
    #[serde(default)]
    pub preview: Option<Preview>,
    /// Why this upload exists besides someone dropping it (`rollback to version 1`).
    #[serde(default)]
    pub note: Option<String>,
}

/// The plan of a valid pack against the workspace it was checked against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    pub workspace_name: String,
    pub workspace_url: String,
    pub sandbox: bool,
    pub declared: Option<sharepack_engine::model::Strategy>,
    pub strategy: Option<sharepack_engine::model::Strategy>,
    /// False when the workspace could not be read (the findings say why).
    pub planned: bool,
    pub summary: sharepack_engine::plan::Summary,
    pub actions: Vec<sharepack_engine::plan::Action>,
    pub story: Vec<String>,
    /// Strategy, conflict and pre-flight findings.
    pub findings: Vec<sharepack_engine::Finding>,
}

impl Preview {
    /// The plan the user saw, when the workspace could be read.
    pub fn plan(&self) -> Option<sharepack_engine::plan::Plan> {
        self.planned.then_some(())?;
        Some(sharepack_engine::plan::Plan {
            declared: self.declared,
            strategy: self.strategy?,
            actions: self.actions.clone(),
            findings: self.findings.clone(),
            summary: self.summary,
            story: self.story.clone(),
        })
    }
}

/// Either the parsed pack with its findings, or why the file could not be read at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    Read(Box<Intake>),
    Refused { code: String, message: String, hint: String },
}

/// Receives a share pack from the drop zone (JS) or the plain form (no JS), runs intake and
/// redirects to the upload's page. Refused files get a page too, saying why.
#[server(name = UploadPack, prefix = "/api", endpoint = "upload_pack", input = MultipartFormData)]
pub async fn upload_pack(data: MultipartData) -> Answer<String> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        request.by.require(sharepack_engine::access::Act::Request, None)?;
        let portal = &request.portal;
        portal.throttle.admit(&request.by)?;
        let mut multipart = data.into_inner().ok_or_else(|| Problem::invalid("missing_file", "The form has no file"))?;
        let upload = crate::portal::multipart::read_file_field(&mut multipart, portal.limits.max_file_bytes).await?;
        let workspace = portal.workspaces.select(upload.workspace.as_deref(), None).map_err(|unknown| unknown.problem())?;
        let uploads = super::ssr::Uploads::new(portal.store.clone());
        let id = uploads.ingest(upload, &request.by, &portal.limits, workspace, portal.strict_strategy, None).await?;
        leptos_axum::redirect(&format!("/uploads/{id}"));
        Ok(id)
    })
    .await
}

/// One upload, for its page; `None` for unknown or malformed ids.
#[server(name = GetUpload, prefix = "/api", endpoint = "get_upload")]
pub async fn get_upload(id: String) -> Answer<Option<UploadView>> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        let Some(id) = crate::portal::parse_id(&id) else { return Ok(None) };
        super::ssr::Uploads::new(request.portal.store.clone()).load(&request.by, id).await
    })
    .await
}

/// Submits a previewed upload for provisioning and opens its run page. Removals in the plan
/// are applied only when `confirm_removals` is sent (the form's checkbox); `start_at` (the
/// form's UTC time, or RFC 3339) holds the run, once approved, until then.
#[server(name = SubmitUpload, prefix = "/api", endpoint = "submit_upload")]
pub async fn submit_upload(id: String, confirm_removals: Option<String>, start_at: Option<String>) -> Answer<String> {
    let confirmed = confirm_removals.is_some_and(|value| value != "false");
    crate::portal::answer(super::ssr::submit_upload(id, confirmed, start_at)).await
}

/// What the page needs to know about this portal instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortalInfo {
    pub max_upload_bytes: usize,
    pub version: String,
    /// The workspace packs go to when none is chosen.
    pub workspace_name: String,
    pub workspace_url: String,
    pub workspace_is_sandbox: bool,
    /// Every configured workspace: name, URL, whether it is the sandbox.
    pub workspaces: Vec<(String, String, bool)>,
    /// Sign-in through the organisation's identity provider is offered.
    #[serde(default)]
    pub oidc_enabled: bool,
}

#[server(name = GetPortalInfo, prefix = "/api", endpoint = "portal_info")]
pub async fn portal_info() -> Answer<PortalInfo> {
    crate::portal::answer(async move {
        let portal = crate::portal::portal()?;
        let workspace = portal.workspaces.default_workspace();
        Ok(PortalInfo {
            max_upload_bytes: portal.limits.max_file_bytes,
            version: env!("CARGO_PKG_VERSION").to_string(),
            workspace_name: workspace.name.clone(),
            workspace_url: workspace.url.clone(),
            workspace_is_sandbox: workspace.is_sandbox,
            workspaces: portal.workspaces.iter().map(|w| (w.name.clone(), w.url.clone(), w.is_sandbox)).collect(),
            oidc_enabled: portal.oidc_enabled,
        })
    })
    .await
}
