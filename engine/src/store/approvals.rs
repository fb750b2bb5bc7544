//! Approvers' decisions (`run_approvals`): one per person and plan digest, so approvals given
//! to a plan that has since changed no longer count, and nobody decides twice on one plan.

use super::{bind_time, Result, Store};
use crate::records::Decision;
use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

/// One decision on one plan digest.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDecision {
    pub run_id: Uuid,
    pub plan_digest: String,
    /// The approver's e-mail.
    pub decided_by: String,
    pub decision: Decision,
    /// Whether the approver was an administrator when deciding.
    pub as_admin: bool,
    pub comment: String,
    pub decided_at: DateTime<Utc>,
}

impl Store {
    /// Records a decision; false when this person already decided on this digest.
    pub async fn record_decision(&self, decision: &StoredDecision) -> Result<bool> {
        let sql = "INSERT INTO run_approvals (run_id, plan_digest, decided_by, decision, as_admin, comment, decided_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_id, plan_digest, decided_by) DO NOTHING";
        let added = on_pool!(self, pool => {
            let query = sqlx::query(sql)
                .bind(decision.run_id)
                .bind(&decision.plan_digest)
                .bind(super::truncate(&decision.decided_by, 255))
                .bind(decision.decision.as_str())
                .bind(decision.as_admin)
                .bind(&decision.comment);
            bind_time(self, query, decision.decided_at).execute(pool).await?.rows_affected()
        });
        if added > 0 {
            // Pages following the run show the decision.
            self.touch(decision.run_id).await?;
        }
        Ok(added > 0)
    }

    /// Every decision on a run, oldest first (earlier digests included: the run's history).
    pub async fn decisions(&self, run: Uuid) -> Result<Vec<StoredDecision>> {
        let sql = "SELECT run_id, plan_digest, decided_by, decision, as_admin, comment, decided_at FROM run_approvals \
                   WHERE run_id = $1 ORDER BY decided_at, decided_by";
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(run).fetch_all(pool).await?;
            rows.iter()
                .map(|row| -> Result<StoredDecision> {
                    Ok(StoredDecision {
                        run_id: row.try_get(0)?,
                        plan_digest: row.try_get(1)?,
                        decided_by: row.try_get(2)?,
                        decision: row.try_get::<String, _>(3)?.parse()?,
                        as_admin: row.try_get(4)?,
                        comment: row.try_get(5)?,
                        decided_at: row.try_get(6)?,
                    })
                })
                .collect()
        })
    }
}

impl Store {
    /// Who may approve plans of a business line: enabled accounts holding the approver role
    /// there or everywhere, and administrators. Sorted by e-mail; `true` marks administrators.
    pub async fn approvers_of(&self, business_line: Option<&str>) -> Result<Vec<(String, bool)>> {
        let sql = "SELECT DISTINCT a.email, g.role FROM role_grants g JOIN accounts a ON a.user_id = g.user_id \
                   WHERE a.disabled_at IS NULL AND (g.role = 'admin' OR (g.role = 'approver' AND (g.business_line = '' OR lower(g.business_line) = $1))) \
                   ORDER BY a.email";
        let line = super::normal_line(business_line.unwrap_or_default());
        let rows: Vec<(String, String)> = on_pool!(self, pool => sqlx::query_as(sql).bind(line).fetch_all(pool).await?);
        let mut approvers: Vec<(String, bool)> = Vec::new();
        for (email, role) in rows {
            let admin = role.parse::<crate::access::Role>().is_ok_and(|role| role == crate::access::Role::Admin);
            match approvers.iter_mut().find(|(known, _)| *known == email) {
                Some(known) => known.1 |= admin,
                None => approvers.push((email, admin)),
            }
        }
        Ok(approvers)
    }
}
