//! Azure Storage Queue through the official SDK (`azure_storage_queue`), configured by the
//! seeds' `azure_queue_connection_string`: requests are signed with the account key by
//! [`SharedKeyPolicy`](super::shared_key::SharedKeyPolicy). Works against Azurite too.

use super::shared_key::SharedKeyPolicy;
use super::{poison_name, Delivery, QueueError};
use azure_core::credentials::Secret;
use azure_core::http::{StatusCode, Url};
use azure_storage_queue::models::{QueueClientGetPropertiesResultHeaders, QueueClientReceiveMessagesOptions, QueueMessage};
use azure_storage_queue::{QueueClient, QueueServiceClient, QueueServiceClientOptions};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

/// The parts of a storage connection string Sharepack uses. `Debug` never shows the key.
pub struct ConnectionString {
    pub account: String,
    pub key: SecretString,
    pub queue_endpoint: String,
}

impl std::fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ConnectionString {{ account: {}, queue_endpoint: {} }}", self.account, self.queue_endpoint)
    }
}

impl ConnectionString {
    /// Parses `AccountName=..;AccountKey=..;QueueEndpoint=..` (keys in any case); without a
    /// `QueueEndpoint`, the endpoint follows from `DefaultEndpointsProtocol` and `EndpointSuffix`.
    /// Errors never quote the string, which holds the key.
    pub fn parse(text: &str) -> Result<Self, QueueError> {
        let mut account = None;
        let mut key = None;
        let mut endpoint = None;
        let mut protocol = "https".to_string();
        let mut suffix = "core.windows.net".to_string();
        for part in text.split(';').map(str::trim).filter(|part| !part.is_empty()) {
            let Some((name, value)) = part.split_once('=') else {
                return Err(QueueError::Config("the Azure queue connection string has a part without `=`".into()));
            };
            match name.trim().to_ascii_lowercase().as_str() {
                "accountname" => account = Some(value.trim().to_string()),
                "accountkey" => key = Some(value.trim().to_string()),
                "queueendpoint" => endpoint = Some(value.trim().trim_end_matches('/').to_string()),
                "defaultendpointsprotocol" => protocol = value.trim().to_string(),
                "endpointsuffix" => suffix = value.trim().to_string(),
                _ => {}
            }
        }
        let account = account.ok_or_else(|| QueueError::Config("the Azure queue connection string has no AccountName".into()))?;
        let key = key.ok_or_else(|| QueueError::Config("the Azure queue connection string has no AccountKey".into()))?;
        let queue_endpoint = endpoint.unwrap_or_else(|| format!("{protocol}://{account}.queue.{suffix}"));
        Ok(ConnectionString { account, key: SecretString::from(key), queue_endpoint })
    }
}

#[derive(Clone)]
pub struct AzureQueue {
    name: String,
    queue: Arc<QueueClient>,
    poison: Arc<QueueClient>,
}

fn failure(error: azure_core::Error) -> QueueError {
    match error.http_status() {
        Some(StatusCode::NotFound) => QueueError::LeaseLost,
        Some(status) if u16::from(status) >= 500 || status == StatusCode::TooManyRequests => QueueError::Unavailable(error.to_string()),
        Some(_) => QueueError::Refused(error.to_string()),
        None => QueueError::Unavailable(error.to_string()),
    }
}

fn seconds(duration: Duration) -> i32 {
    i32::try_from(duration.as_secs()).unwrap_or(i32::MAX).min(7 * 24 * 3600)
}

impl AzureQueue {
    pub fn connect(connection: &ConnectionString, name: &str) -> Result<Self, QueueError> {
        let url = Url::parse(&connection.queue_endpoint)
            .map_err(|error| QueueError::Config(format!("the queue endpoint is not a URL ({error})")))?;
        let mut options = QueueServiceClientOptions::default();
        options.client_options.per_try_policies.push(Arc::new(SharedKeyPolicy {
            account: connection.account.clone(),
            key: Secret::new(connection.key.expose_secret().to_string()),
        }));
        let service = QueueServiceClient::new(url, None, Some(options)).map_err(|error| QueueError::Config(error.to_string()))?;
        let queue = service.queue_client(name).map_err(|error| QueueError::Config(error.to_string()))?;
        let poison = service.queue_client(&poison_name(name)).map_err(|error| QueueError::Config(error.to_string()))?;
        Ok(AzureQueue { name: name.to_string(), queue: Arc::new(queue), poison: Arc::new(poison) })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub async fn ensure(&self) -> Result<(), QueueError> {
        for client in [&self.queue, &self.poison] {
            match client.create(None).await {
                Ok(_) => {}
                Err(error) if error.http_status() == Some(StatusCode::Conflict) => {}
                Err(error) => return Err(failure(error)),
            }
        }
        Ok(())
    }

    pub async fn send(&self, body: &str) -> Result<(), QueueError> {
        send_to(&self.queue, body).await
    }

    pub async fn receive(&self, max: u32, visibility: Duration) -> Result<Vec<Delivery>, QueueError> {
        let options = QueueClientReceiveMessagesOptions {
            number_of_messages: Some(max.clamp(1, 32) as i32),
            visibility_timeout: Some(seconds(visibility).max(1)),
            ..Default::default()
        };
        let received = self.queue.receive_messages(Some(options)).await.map_err(failure)?.into_model().map_err(failure)?;
        Ok(received
            .items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|message| {
                Some(Delivery {
                    id: message.message_id?,
                    receipt: message.pop_receipt?,
                    body: message.message_text.unwrap_or_default(),
                    dequeue_count: message.dequeue_count.unwrap_or(1).clamp(0, i64::from(u32::MAX)) as u32,
                })
            })
            .collect())
    }

    pub async fn renew(&self, delivery: &mut Delivery, visibility: Duration) -> Result<(), QueueError> {
        let response = self.queue.update_message(&delivery.id, &delivery.receipt, seconds(visibility), None).await.map_err(failure)?;
        let receipt = response
            .headers()
            .get_optional_string(&azure_core::http::headers::HeaderName::from_static("x-ms-popreceipt"))
            .ok_or_else(|| QueueError::Refused("the queue returned no new pop receipt".into()))?;
        delivery.receipt = receipt;
        Ok(())
    }

    pub async fn delete(&self, delivery: &Delivery) -> Result<(), QueueError> {
        self.queue.delete_message(&delivery.id, &delivery.receipt, None).await.map_err(failure)?;
        Ok(())
    }

    /// Copies the message to the poison queue, then deletes it. A crash in between leaves the
    /// message in both; the run it names is already failed, so handling it again is harmless.
    pub async fn poison(&self, delivery: &Delivery) -> Result<(), QueueError> {
        send_to(&self.poison, &delivery.body).await?;
        self.delete(delivery).await
    }

    pub async fn depth(&self) -> Result<(u64, u64), QueueError> {
        let mut counts = [0u64; 2];
        for (slot, client) in counts.iter_mut().zip([&self.queue, &self.poison]) {
            let response = client.get_properties(None).await.map_err(failure)?;
            *slot = response.approximate_messages_count().map_err(failure)?.unwrap_or(0).max(0) as u64;
        }
        Ok((counts[0], counts[1]))
    }

    /// When the message at the front of the queue was sent (peeked, left in place).
    pub async fn oldest(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, QueueError> {
        let options = azure_storage_queue::models::QueueClientPeekMessagesOptions { number_of_messages: Some(1), ..Default::default() };
        let peeked = self.queue.peek_messages(Some(options)).await.map_err(failure)?.into_model().map_err(failure)?;
        let inserted = peeked.items.unwrap_or_default().into_iter().find_map(|message| message.insertion_time);
        Ok(inserted.and_then(|time| chrono::DateTime::from_timestamp(time.unix_timestamp(), time.nanosecond())))
    }

    /// The poison queue's messages (peeked, left in place).
    pub async fn poisoned(&self) -> Result<Vec<String>, QueueError> {
        let options = azure_storage_queue::models::QueueClientPeekMessagesOptions { number_of_messages: Some(32), ..Default::default() };
        let peeked = self.poison.peek_messages(Some(options)).await.map_err(failure)?.into_model().map_err(failure)?;
        Ok(peeked.items.unwrap_or_default().into_iter().filter_map(|message| message.message_text).collect())
    }
}

async fn send_to(client: &QueueClient, body: &str) -> Result<(), QueueError> {
    let message = QueueMessage { message_text: Some(body.to_string()) };
    let content = message.try_into().map_err(|error: azure_core::Error| QueueError::Refused(error.to_string()))?;
    client.send_message(content, None).await.map_err(failure)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_strings_parse_without_leaking_the_key() {
        let parsed = ConnectionString::parse(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1/;",
        )
        .unwrap();
        assert_eq!(parsed.account, "devstoreaccount1");
        assert_eq!(parsed.queue_endpoint, "http://127.0.0.1:10001/devstoreaccount1");
        assert!(!format!("{parsed:?}").contains("c2VjcmV0"));
        let derived = ConnectionString::parse("accountname=acct;accountkey=k;EndpointSuffix=core.windows.net").unwrap();
        assert_eq!(derived.queue_endpoint, "https://acct.queue.core.windows.net");
        let missing = ConnectionString::parse("AccountName=acct;AccountKey").unwrap_err().to_string();
        assert!(missing.contains("without `=`"), "{missing}");
        assert!(ConnectionString::parse("AccountName=a").unwrap_err().to_string().contains("AccountKey"));
    }
}
