//! Stable business keys (UUIDv5) for what Sharepack records: the same share pack, recipient,
//! share, tenant or project gets the same key from every upload, instance and worker.

use crate::model::name_key;
use uuid::Uuid;

const NAMESPACE: Uuid = Uuid::from_u128(0x5348_4152_4550_4143_4b00_0000_0000_0001);

fn key(parts: &[&str]) -> Uuid {
    Uuid::new_v5(&NAMESPACE, parts.iter().map(|part| part.trim().to_lowercase()).collect::<Vec<_>>().join("\n").as_bytes())
}

/// A share pack is its project's pack on one workspace; each upload is a new version of it.
pub fn share_pack(workspace_url: &str, business_line: &str, project: &str) -> Uuid {
    key(&["share_pack", workspace_url.trim_end_matches('/'), business_line, project])
}

pub fn recipient(workspace_url: &str, name: &str) -> Uuid {
    key(&["recipient", workspace_url.trim_end_matches('/'), &name_key(name)])
}

pub fn share(workspace_url: &str, name: &str) -> Uuid {
    key(&["share", workspace_url.trim_end_matches('/'), &name_key(name)])
}

pub fn tenant(business_line: &str) -> Uuid {
    key(&["tenant", business_line])
}

pub fn project(business_line: &str, project: &str) -> Uuid {
    key(&["project", business_line, project])
}

/// A drift finding is about one resource of a workspace (an object or grant within its share),
/// whatever the difference: one finding's versions follow it as it changes.
pub fn drift_finding(workspace_url: &str, resource_type: crate::plan::ResourceType, share: Option<&str>, name: &str) -> Uuid {
    let resource = format!("{resource_type:?}");
    key(&["drift", workspace_url.trim_end_matches('/'), &resource, &name_key(share.unwrap_or_default()), &name_key(name)])
}

/// A catalog, schema or table of one workspace, by its full name.
pub fn databricks_object(workspace_url: &str, full_name: &str) -> Uuid {
    key(&["databricks_object", workspace_url.trim_end_matches('/'), &name_key(full_name)])
}

/// A directory user or group by its object id in the directory (Entra ID's ids are GUIDs; an id
/// that is not one is hashed, so a directory of another shape still gets stable keys).
pub fn directory_object(kind: &str, id: &str) -> Uuid {
    Uuid::parse_str(id.trim()).unwrap_or_else(|_| key(&["directory", kind, id]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_ignore_case_and_trailing_slashes() {
        assert_eq!(super::share("https://w/", "Sales"), super::share("https://W", "sales"));
        assert_ne!(super::share("https://w", "sales"), super::recipient("https://w", "sales"));
    }
}
