//! Shared Key signing for Azure Storage, which the official `azure_storage_queue` crate leaves
//! to the caller (it supports Entra ID tokens only). The string to sign follows
//! <https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key>.

use azure_core::credentials::Secret;
use azure_core::http::policies::{Policy, PolicyResult};
use azure_core::http::{Context, Request};
use std::sync::Arc;
use time::format_description::well_known::Rfc2822;
use time::OffsetDateTime;

#[derive(Debug)]
pub struct SharedKeyPolicy {
    pub account: String,
    pub key: Secret,
}

#[async_trait::async_trait]
impl Policy for SharedKeyPolicy {
    async fn send(&self, ctx: &Context, request: &mut Request, next: &[Arc<dyn Policy>]) -> PolicyResult {
        let date = OffsetDateTime::now_utc().format(&Rfc2822).unwrap_or_default().replace("+0000", "GMT");
        request.insert_header("x-ms-date", date);
        let signature = azure_core::hmac::hmac_sha256(&string_to_sign(&self.account, request), &self.key)?;
        request.insert_header("authorization", format!("SharedKey {}:{signature}", self.account));
        next[0].send(ctx, request, &next[1..]).await
    }
}

fn string_to_sign(account: &str, request: &Request) -> String {
    let header = |name: &str| {
        request.headers().iter().find(|(key, _)| key.as_str() == name).map(|(_, value)| value.as_str().to_string()).unwrap_or_default()
    };
    let length = match request.body().len() {
        Some(0) | None => String::new(),
        Some(n) => n.to_string(),
    };
    let mut ms_headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter(|(key, _)| key.as_str().starts_with("x-ms-"))
        .map(|(key, value)| (key.as_str().to_string(), value.as_str().trim().to_string()))
        .collect();
    ms_headers.sort();
    let mut resource = format!("/{account}{}", request.url().path());
    let mut query: Vec<(String, String)> = request.url().query_pairs().map(|(k, v)| (k.to_lowercase(), v.into_owned())).collect();
    query.sort();
    for (key, value) in query {
        resource.push_str(&format!("\n{key}:{value}"));
    }
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n\n{}\n{}\n{}\n{}\n{}\n{}{}",
        request.method().as_ref(),
        header("content-encoding"),
        header("content-language"),
        length,
        header("content-md5"),
        header("content-type"),
        header("if-modified-since"),
        header("if-match"),
        header("if-none-match"),
        header("if-unmodified-since"),
        header("range"),
        ms_headers.iter().map(|(key, value)| format!("{key}:{value}\n")).collect::<String>(),
        resource
    )
}
