//! The channels. E-mail goes through an SMTP server (`SHAREPACK_SMTP_URL`, from the seed's
//! `notification_from_email`) with `lettre`; webhooks are POSTed with Standard Webhooks'
//! signature (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "id.timestamp.body">`), only a 2xx counting as delivered. A webhook's URL and secret stay in
//! the settings: notifications name the webhook, never where it points.

use super::StoredNotification;
use crate::records::{Channel, NotificationKind};
use base64::Engine;
use hmac::{KeyInit, Mac};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Duration;

/// A configured webhook.
pub struct Webhook {
    pub name: String,
    url: SecretString,
    secret: SecretString,
    /// The kinds it receives (every kind when empty).
    kinds: Vec<NotificationKind>,
}

impl Webhook {
    pub fn wants(&self, kind: NotificationKind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookEntry {
    name: String,
    url: String,
    secret: String,
    #[serde(default)]
    events: Vec<String>,
}

/// How notifications leave: the SMTP server, the webhooks, and the portal's address for links.
pub struct Notifier {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: lettre::message::Mailbox,
    webhooks: Vec<Webhook>,
    public_url: String,
    http: reqwest::Client,
}

impl Default for Notifier {
    /// Nothing configured: no e-mail, no webhook.
    fn default() -> Self {
        Notifier {
            smtp: None,
            from: "sharepack@localhost".parse().expect("a constant, valid address"),
            webhooks: Vec::new(),
            public_url: String::new(),
            http: reqwest::Client::new(),
        }
    }
}

impl Notifier {
    /// `smtp_url`: `smtp://host:port` (plain), `smtp://user:pass@host:587?tls=required`, or
    /// `smtps://...`; `webhooks`: JSON `[{"name", "url", "secret", "events": ["RUN_FINISHED"]}]`.
    /// Errors name the setting and the problem, never a secret.
    pub fn configure(smtp_url: Option<&str>, from: &str, webhooks: &str, public_url: &str) -> Result<Self, String> {
        let smtp = match smtp_url.map(str::trim).filter(|url| !url.is_empty()) {
            None => None,
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|error| format!("SHAREPACK_SMTP_URL cannot be used: {}", crate::store::redact(&error.to_string())))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ),
        };
        let from = from.parse().map_err(|_| format!("notification_from_email `{from}` is not an e-mail address"))?;
        let entries: Vec<WebhookEntry> = if webhooks.trim().is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(webhooks).map_err(|error| format!("SHAREPACK_WEBHOOKS is not valid: {error}"))?
        };
        let mut hooks = Vec::new();
        for (index, entry) in entries.into_iter().enumerate() {
            let at = format!("webhook {} ({})", index + 1, entry.name);
            if !(entry.url.starts_with("https://") || entry.url.starts_with("http://")) {
                return Err(format!("{at}: url must start with https://"));
            }
            if entry.secret.len() < 16 {
                return Err(format!("{at}: the secret must be at least 16 characters"));
            }
            let kinds = entry
                .events
                .iter()
                .map(|event| event.parse::<NotificationKind>().map_err(|error| format!("{at}: {error}")))
                .collect::<Result<Vec<_>, _>>()?;
            hooks.push(Webhook { name: entry.name, url: SecretString::from(entry.url), secret: SecretString::from(entry.secret), kinds });
        }
        let http = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().map_err(|error| error.to_string())?;
        Ok(Notifier { smtp, from, webhooks: hooks, public_url: public_url.trim_end_matches('/').to_string(), http })
    }

    pub fn sends_email(&self) -> bool {
        self.smtp.is_some()
    }

    pub fn webhooks(&self) -> &[Webhook] {
        &self.webhooks
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// One attempt at delivering; the error in words.
    pub async fn send(&self, notification: &StoredNotification) -> Result<(), String> {
        match notification.channel {
            Channel::Email => self.email(notification).await,
            Channel::Webhook => self.webhook(notification).await,
        }
    }

    async fn email(&self, notification: &StoredNotification) -> Result<(), String> {
        let smtp = self.smtp.as_ref().ok_or("no SMTP server is configured (SHAREPACK_SMTP_URL)")?;
        let to = notification.recipient.parse().map_err(|_| format!("`{}` is not an e-mail address", notification.recipient))?;
        let text = notification.data["text"].as_str().unwrap_or_default().to_string();
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(notification.subject.clone())
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(text)
            .map_err(|error| format!("the message cannot be written: {error}"))?;
        smtp.send(message)
            .await
            .map(|_| ())
            .map_err(|error| format!("the SMTP server refused it: {}", crate::store::redact(&error.to_string())))
    }

    async fn webhook(&self, notification: &StoredNotification) -> Result<(), String> {
        let webhook = self
            .webhooks
            .iter()
            .find(|webhook| webhook.name == notification.recipient)
            .ok_or_else(|| format!("webhook `{}` is no longer configured", notification.recipient))?;
        let body = notification.data["payload"].to_string();
        let id = notification.id.to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let signature = sign(webhook.secret.expose_secret(), &id, timestamp, &body);
        let response = self
            .http
            .post(webhook.url.expose_secret())
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|error| format!("webhook `{}` could not be reached: {}", webhook.name, error.without_url()))?;
        match response.status() {
            status if status.is_success() => Ok(()),
            status => Err(format!("webhook `{}` answered {status}", webhook.name)),
        }
    }
}

/// Standard Webhooks' signature: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`, keyed
/// by the secret (a `whsec_` secret is base64 after its prefix, any other is used as it is).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let key = match secret.strip_prefix("whsec_").map(|encoded| base64::engine::general_purpose::STANDARD.decode(encoded)) {
        Some(Ok(key)) => key,
        _ => secret.as_bytes().to_vec(),
    };
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("HMAC takes a key of any length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The specification's example: secret, id, timestamp, body and signature.
        let signature =
            sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, r#"{"test": 2432232314}"#);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn settings_errors_name_the_webhook_not_its_secret() {
        let error = Notifier::configure(
            None,
            "portal@example.com",
            r#"[{"name": "ops", "url": "ftp://x", "secret": "0123456789abcdef!"}]"#,
            "http://p",
        )
        .err()
        .unwrap();
        assert_eq!(error, "webhook 1 (ops): url must start with https://");
        let error =
            Notifier::configure(None, "portal@example.com", r#"[{"name": "ops", "url": "https://x", "secret": "short"}]"#, "http://p")
                .err()
                .unwrap();
        assert!(!error.contains("short"), "{error}");
        assert!(Notifier::configure(None, "not an address", "", "http://p").is_err());
    }
}
