//! The checks Databricks makes on what it is sent, as the sandbox makes them.

use super::Reply;
use crate::model::DataObjectType;
use crate::validate::{check_ip, MAX_ALLOWED_IPS, MAX_NAME_LENGTH};
use serde_json::{json, Map, Value};

/// A valid securable name from `body.name`, lowercased as Unity Catalog stores it.
pub fn name(body: &Value, what: &str) -> Result<String, Reply> {
    let name = body.get("name").and_then(Value::as_str).unwrap_or("").trim();
    if name.is_empty() {
        return Err(Reply::invalid(format!("{what} name must be provided")));
    }
    if name.chars().count() > MAX_NAME_LENGTH || name.chars().any(|c| matches!(c, '.' | ' ' | '/') || c.is_control()) {
        return Err(Reply::invalid(format!("{what} name '{name}' is not a valid name")));
    }
    Ok(name.to_lowercase())
}

/// `ip_access_list.allowed_ip_addresses`: IPv4 or CIDR, at most 100, token recipients only.
/// `None` when the body has no list.
pub fn ip_access_list(body: &Value, authentication_type: &str) -> Result<Option<Vec<String>>, Reply> {
    let Some(list) = body.get("ip_access_list") else { return Ok(None) };
    let ips: Vec<String> = list
        .get("allowed_ip_addresses")
        .and_then(Value::as_array)
        .map(|ips| ips.iter().filter_map(|ip| ip.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    if authentication_type != "TOKEN" && !ips.is_empty() {
        return Err(Reply::invalid("IP access lists can only be set on TOKEN recipients"));
    }
    if ips.len() > MAX_ALLOWED_IPS {
        return Err(Reply::invalid(format!("The IP access list has {} entries; the maximum is {MAX_ALLOWED_IPS}", ips.len())));
    }
    for ip in &ips {
        check_ip(ip).map_err(|problem| Reply::invalid(format!("Invalid IP address or CIDR block: {problem}")))?;
    }
    Ok(Some(ips))
}

/// `properties_kvpairs.properties`, refusing the reserved `databricks.*` keys.
pub fn properties(body: &Value) -> Result<Map<String, Value>, Reply> {
    let properties =
        body.get("properties_kvpairs").and_then(|kv| kv.get("properties")).and_then(Value::as_object).cloned().unwrap_or_default();
    if let Some(key) = properties.keys().find(|key| key.to_ascii_lowercase().starts_with("databricks.")) {
        return Err(Reply::invalid(format!("Property '{key}' is reserved")));
    }
    Ok(properties)
}

/// A data object as stored: name lowercased, type defaulted, options checked.
pub fn data_object(object: &Value) -> Result<Value, Reply> {
    if !object.is_object() {
        return Err(Reply::invalid("data_object must be an object with a name"));
    }
    let name = object.get("name").and_then(Value::as_str).unwrap_or("").trim().to_lowercase();
    let kind = object.get("data_object_type").and_then(Value::as_str).unwrap_or("TABLE");
    let parsed = DataObjectType::parse(kind).ok_or_else(|| Reply::invalid(format!("Unknown data_object_type '{kind}'")))?;
    if let Some(parts) = parsed.name_parts() {
        if name.split('.').filter(|part| !part.is_empty()).count() != parts {
            return Err(Reply::invalid(format!("'{name}' is not a valid full name for a {kind}")));
        }
    }
    if object.get("shared_as").and_then(Value::as_str).is_some_and(|alias| alias.trim().is_empty()) {
        return Err(Reply::invalid("INVALID_PARAMETER_VALUE: shared_as '' is not a valid name"));
    }
    let history = object.get("history_data_sharing_status").and_then(Value::as_str) == Some("ENABLED");
    if history && object.get("cdf_enabled").and_then(Value::as_bool) == Some(true) {
        return Err(Reply::invalid("cdf_enabled and history_data_sharing_status cannot both be set"));
    }
    let mut stored = object.clone();
    stored["name"] = json!(name);
    stored["data_object_type"] = json!(parsed.as_str());
    Ok(stored)
}

pub fn is_table_like(object: &Value) -> bool {
    object["data_object_type"].as_str().and_then(DataObjectType::parse).unwrap_or(DataObjectType::Table).is_table_like()
}

/// Milliseconds since the epoch, as the API counts time.
pub fn epoch_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
