//! A portal's REST API as the command line calls it: the same request and answer types the
//! server's handlers use (`crate::rest`), so what is printed is what the portal answered.

use crate::rest::approvals::{ApprovalsResponse, DecisionRequest, DecisionResponse};
use crate::rest::batch::BatchResponse;
use crate::rest::error::ErrorBody;
use eventsource_stream::Eventsource;
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use sharepack_engine::views::{PackProgress, RunView};
use std::path::PathBuf;

/// Why a call gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("cannot reach the portal at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The portal answered with an error body.
    #[error("{} ({status}){}", body.message, body.hint.as_deref().map(|hint| format!(". {hint}")).unwrap_or_default())]
    Refused { status: u16, body: ErrorBody },
    #[error("the portal's answer could not be read: {0}")]
    Unreadable(String),
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
}

/// Which batch endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchKind {
    Validate,
    Plan,
    Upload,
}

impl BatchKind {
    fn path(self) -> &'static str {
        match self {
            BatchKind::Validate => "/workflow/sharepack/batch/validate",
            BatchKind::Plan => "/workflow/sharepack/batch/plan",
            BatchKind::Upload => "/workflow/sharepack/batch/upload",
        }
    }
}

pub struct Portal {
    base: String,
    client: reqwest::Client,
    workspace: Option<String>,
}

impl Portal {
    /// A portal at `url` (its root, e.g. `https://sharepack.example.com`), called with `token`
    /// and, when given, a workspace URL (`X-Workspace-URL`).
    pub fn new(url: &str, token: &str, workspace: Option<String>) -> Result<Portal, CallError> {
        let base = url.trim_end_matches('/').to_string();
        let unreachable = |reason: String| CallError::Unreachable { url: base.clone(), reason };
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(unreachable("the address must start with http:// or https://".into()));
        }
        let mut headers = reqwest::header::HeaderMap::new();
        let mut bearer = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .map_err(|_| unreachable("the token has characters a header cannot carry".into()))?;
        bearer.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, bearer);
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("sharepack-cli/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|error| unreachable(error.to_string()))?;
        Ok(Portal { base, client, workspace })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `files` to a batch endpoint in one request.
    pub async fn batch<T: DeserializeOwned>(
        &self,
        kind: BatchKind,
        files: &[PathBuf],
        query: &[(&str, String)],
    ) -> Result<BatchResponse<T>, CallError> {
        let mut form = reqwest::multipart::Form::new();
        for path in files {
            let bytes = tokio::fs::read(path)
                .await
                .map_err(|error| CallError::File { path: path.display().to_string(), reason: format!("cannot read: {error}") })?;
            let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_else(|| "upload".into());
            form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name(name));
        }
        let mut request = self.client.post(self.url(kind.path())).query(query).multipart(form);
        if let Some(workspace) = &self.workspace {
            request = request.header("X-Workspace-URL", workspace);
        }
        self.answer(request).await
    }

    /// The seed's status of a share pack.
    pub async fn status(&self, share_pack_id: &str) -> Result<PackProgress, CallError> {
        self.answer(self.client.get(self.url(&format!("/workflow/sharepack/{share_pack_id}")))).await
    }

    /// The plans waiting for the caller's decision.
    pub async fn approvals(&self) -> Result<ApprovalsResponse, CallError> {
        self.answer(self.client.get(self.url("/workflow/approvals"))).await
    }

    /// Approves (or rejects) the plan a run waits with.
    pub async fn decide(&self, run_id: &str, approve: bool, decision: &DecisionRequest) -> Result<DecisionResponse, CallError> {
        let verb = if approve { "approve" } else { "reject" };
        self.answer(self.client.post(self.url(&format!("/workflow/runs/{run_id}/{verb}"))).json(decision)).await
    }

    /// The run as the run page follows it: one view whenever it changes, until it ends (or the
    /// portal closes the stream, e.g. when it shuts down; the caller connects again).
    pub async fn run_events(&self, run_id: &str) -> Result<impl Stream<Item = Result<RunView, CallError>>, CallError> {
        let response = self.send(self.client.get(self.url(&format!("/runs/{run_id}/events")))).await?;
        let response = Self::checked(response).await?;
        Ok(response.bytes_stream().eventsource().filter_map(|event| async move {
            match event {
                Ok(event) if event.data.is_empty() => None,
                Ok(event) => Some(serde_json::from_str::<RunView>(&event.data).map_err(|error| CallError::Unreadable(error.to_string()))),
                Err(error) => Some(Err(CallError::Unreadable(error.to_string()))),
            }
        }))
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, CallError> {
        request.send().await.map_err(|error| CallError::Unreachable { url: self.base.clone(), reason: with_causes(&error) })
    }

    async fn answer<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, CallError> {
        let response = Self::checked(self.send(request).await?).await?;
        let bytes = response.bytes().await.map_err(|error| CallError::Unreadable(with_causes(&error)))?;
        serde_json::from_slice(&bytes).map_err(|error| CallError::Unreadable(error.to_string()))
    }

    /// The response when it succeeded; its error body otherwise.
    async fn checked(response: reqwest::Response) -> Result<reqwest::Response, CallError> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let bytes = response.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice::<ErrorBody>(&bytes).unwrap_or_else(|_| ErrorBody {
            code: format!("http_{}", status.as_u16()),
            message: format!("The portal answered {status}"),
            hint: None,
            location: None,
        });
        Err(CallError::Refused { status: status.as_u16(), body })
    }
}

/// reqwest's message with its causes (which say what failed: refused, DNS, TLS...).
fn with_causes(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}
