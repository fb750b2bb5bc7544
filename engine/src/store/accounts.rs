//! Accounts and their role grants (`accounts`, `role_grants`). E-mails are kept lower-case;
//! a grant on every business line is stored with an empty business line.

use super::{bind_time, now, Result, Store, StoreError};
use crate::access::{Grant, Role};
use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

/// Where an account or a grant comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Made in Sharepack (the setup link, an administrator, the CLI).
    Local,
    /// From the identity provider's ID token; its grants are replaced at each sign-in.
    Oidc,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Local => "local",
            Source::Oidc => "oidc",
        }
    }

    fn parse(text: &str) -> Result<Source> {
        match text {
            "local" => Ok(Source::Local),
            "oidc" => Ok(Source::Oidc),
            other => Err(StoreError::Corrupt(format!("unknown account source `{other}`"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub source: Source,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub disabled: bool,
}

/// A grant as stored: the grant, where it came from and who made it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredGrant {
    pub grant: Grant,
    pub source: Source,
    pub granted_by: String,
    pub granted_at: DateTime<Utc>,
}

const ACCOUNT_COLUMNS: &str = "user_id, email, display_name, password_hash, source, created_at, created_by, disabled_at";

/// How e-mails are kept and compared.
pub fn normal_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn line_column(grant: &Grant) -> String {
    grant.business_line.clone().unwrap_or_default()
}

impl Store {
    /// Creates an account; `false` when one with that e-mail exists already.
    pub async fn insert_account(&self, account: &Account) -> Result<bool> {
        let sql = "INSERT INTO accounts (user_id, email, display_name, password_hash, source, created_at, created_by) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (email) DO NOTHING";
        let done = on_pool!(self, pool => {
            let query = sqlx::query(sql)
                .bind(account.user_id)
                .bind(normal_email(&account.email))
                .bind(&account.display_name)
                .bind(account.password_hash.as_deref())
                .bind(account.source.as_str());
            bind_time(self, query, account.created_at).bind(&account.created_by).execute(pool).await?.rows_affected()
        });
        Ok(done == 1)
    }

    pub async fn account_by_email(&self, email: &str) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(normal_email(email)).fetch_optional(pool).await?;
            row.map(|row| account_from(&row)).transpose()
        })
    }

    pub async fn account(&self, user_id: Uuid) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE user_id = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_optional(pool).await?;
            row.map(|row| account_from(&row)).transpose()
        })
    }

    /// Every account, by e-mail (the administrators' list).
    pub async fn accounts(&self) -> Result<Vec<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY email LIMIT 5000");
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?;
            rows.iter().map(account_from).collect()
        })
    }

    pub async fn set_password_hash(&self, user_id: Uuid, hash: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE accounts SET password_hash = $1 WHERE user_id = $2").bind(hash).bind(user_id).execute(pool).await?;
        });
        Ok(())
    }

    pub async fn set_display_name(&self, user_id: Uuid, name: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE accounts SET display_name = $1 WHERE user_id = $2").bind(name).bind(user_id).execute(pool).await?;
        });
        Ok(())
    }

    /// Disables or enables an account (its sessions and tokens stop working while disabled).
    pub async fn set_disabled(&self, user_id: Uuid, disabled: bool) -> Result<()> {
        on_pool!(self, pool => {
            if disabled {
                bind_time(self, sqlx::query("UPDATE accounts SET disabled_at = $1 WHERE user_id = $2"), now()).bind(user_id).execute(pool).await?;
            } else {
                sqlx::query("UPDATE accounts SET disabled_at = NULL WHERE user_id = $1").bind(user_id).execute(pool).await?;
            }
        });
        Ok(())
    }

    /// The account the identity provider knows by `subject` (issuer and `sub`).
    pub async fn account_by_subject(&self, subject: &str) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE oidc_subject = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(subject).fetch_optional(pool).await?;
            row.map(|row| account_from(&row)).transpose()
        })
    }

    /// Whether an account is bound to an identity at the provider already.
    pub async fn has_subject(&self, user_id: Uuid) -> Result<bool> {
        let sql = "SELECT count(*) FROM accounts WHERE user_id = $1 AND oidc_subject IS NOT NULL";
        let count: i64 = on_pool!(self, pool => sqlx::query_scalar(sql).bind(user_id).fetch_one(pool).await?);
        Ok(count > 0)
    }

    /// Binds an account to the provider's `subject`; `false` when it is bound already.
    pub async fn bind_subject(&self, user_id: Uuid, subject: &str) -> Result<bool> {
        let sql = "UPDATE accounts SET oidc_subject = $1 WHERE user_id = $2 AND oidc_subject IS NULL";
        Ok(on_pool!(self, pool => sqlx::query(sql).bind(subject).bind(user_id).execute(pool).await?.rows_affected()) == 1)
    }

    /// Whether any enabled account holds the admin role.
    pub async fn admin_exists(&self) -> Result<bool> {
        let sql = "SELECT count(*) FROM role_grants g JOIN accounts a ON a.user_id = g.user_id WHERE g.role = $1 AND a.disabled_at IS NULL";
        let count: i64 = on_pool!(self, pool => sqlx::query_scalar(sql).bind(Role::Admin.as_str()).fetch_one(pool).await?);
        Ok(count > 0)
    }

    pub async fn grants_of(&self, user_id: Uuid) -> Result<Vec<StoredGrant>> {
        let sql =
            "SELECT role, business_line, source, granted_by, granted_at FROM role_grants WHERE user_id = $1 ORDER BY role, business_line";
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(user_id).fetch_all(pool).await?;
            rows.iter()
                .map(|row| -> Result<StoredGrant> {
                    let role: String = row.try_get(0)?;
                    let line: String = row.try_get(1)?;
                    let source: String = row.try_get(2)?;
                    let role = role.parse::<Role>().map_err(|error| StoreError::Corrupt(error.to_string()))?;
                    Ok(StoredGrant {
                        grant: Grant::new(role, Some(&line)),
                        source: Source::parse(&source)?,
                        granted_by: row.try_get(3)?,
                        granted_at: row.try_get(4)?,
                    })
                })
                .collect()
        })
    }

    /// Adds a grant; `false` when the account held it already.
    pub async fn add_grant(&self, user_id: Uuid, grant: &Grant, source: Source, by: &str) -> Result<bool> {
        let sql = "INSERT INTO role_grants (user_id, role, business_line, source, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5, $6) \
                   ON CONFLICT (user_id, role, business_line, source) DO NOTHING";
        let done = on_pool!(self, pool => {
            let query = sqlx::query(sql).bind(user_id).bind(grant.role.as_str()).bind(line_column(grant)).bind(source.as_str()).bind(by);
            bind_time(self, query, now()).execute(pool).await?.rows_affected()
        });
        Ok(done == 1)
    }

    /// Removes a grant an administrator made; `false` when there was none.
    pub async fn remove_grant(&self, user_id: Uuid, grant: &Grant) -> Result<bool> {
        let sql = "DELETE FROM role_grants WHERE user_id = $1 AND role = $2 AND business_line = $3 AND source = 'local'";
        let done = on_pool!(self, pool => {
            sqlx::query(sql).bind(user_id).bind(grant.role.as_str()).bind(line_column(grant)).execute(pool).await?.rows_affected()
        });
        Ok(done == 1)
    }

    /// Replaces the grants the identity provider gave (at each sign-in), in one transaction.
    pub async fn replace_provider_grants(&self, user_id: Uuid, grants: &[Grant]) -> Result<()> {
        let insert = "INSERT INTO role_grants (user_id, role, business_line, source, granted_by, granted_at) VALUES ($1, $2, $3, 'oidc', 'identity provider', $4) \
                      ON CONFLICT (user_id, role, business_line, source) DO NOTHING";
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM role_grants WHERE user_id = $1 AND source = 'oidc'").bind(user_id).execute(&mut *tx).await?;
            for grant in grants {
                let query = sqlx::query(insert).bind(user_id).bind(grant.role.as_str()).bind(line_column(grant));
                bind_time(self, query, now()).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

fn account_from<R: Row>(row: &R) -> Result<Account>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database>,
    for<'r> Uuid: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<DateTime<Utc>>: sqlx::Decode<'r, R::Database>,
{
    let source: String = row.try_get(4)?;
    let disabled: Option<DateTime<Utc>> = row.try_get(7)?;
    Ok(Account {
        user_id: row.try_get(0)?,
        email: row.try_get(1)?,
        display_name: row.try_get(2)?,
        password_hash: row.try_get(3)?,
        source: Source::parse(&source)?,
        created_at: row.try_get(5)?,
        created_by: row.try_get(6)?,
        disabled: disabled.is_some(),
    })
}
