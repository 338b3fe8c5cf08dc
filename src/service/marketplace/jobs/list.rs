//! The `jobs` list, newest first, keyset pages both ways: LIVE jobs for
//! everyone (anonymous too), one's own in any state, every job for
//! moderators. Each page is one statement whatever its size: the company
//! and the viewer's application come joined in the same row.

use chrono::{DateTime, Utc};
use entity::enums::JobStatus as S;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use uuid::Uuid;

use super::{moderates, select_sql, JobRow};
use crate::error::{AppError, AppResult};
use crate::service::identity::Viewer;
use crate::service::page::{self, PageRequest, Paged};

/// The keyset: newest first.
pub type Cursor = (DateTime<Utc>, Uuid);

/// Longest search text.
pub const MAX_SEARCH: usize = 200;

/// The cursor of a job.
pub fn cursor(j: &JobRow) -> Cursor {
    (j.job.created_at.with_timezone(&Utc), j.job.id)
}

/// Which jobs to list.
#[derive(Clone, Debug, Default)]
pub struct JobFilter {
    pub status: Option<S>,
    pub company_id: Option<Uuid>,
    /// Only the viewer's own (signed in).
    pub mine: bool,
    /// Words to find in the title, description, location or company name.
    pub search: Option<String>,
}

/// `%` and `_` taken literally in a LIKE pattern.
fn like_escaped(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The FROM..WHERE of the list and its values; `$1` is the viewer.
fn where_sql(viewer: &Viewer, f: &JobFilter) -> AppResult<(String, Vec<Value>)> {
    let mut sql = String::from(" WHERE true");
    let mut values: Vec<Value> = vec![viewer.user_id.into()];
    let mut arg = |sql: &mut String, clause: &str, v: Value| {
        values.push(v);
        sql.push_str(&clause.replace('?', &format!("${}", values.len())));
    };
    if !moderates(viewer) {
        arg(
            &mut sql,
            " AND (j.status = ? OR j.posted_by_user_id = $1)",
            S::Live.to_value().into(),
        );
    }
    if f.mine {
        viewer.require_user()?;
        sql.push_str(" AND j.posted_by_user_id = $1");
    }
    if let Some(s) = f.status {
        arg(&mut sql, " AND j.status = ?", s.to_value().into());
    }
    if let Some(c) = f.company_id {
        arg(&mut sql, " AND j.company_profile_id = ?", c.into());
    }
    if let Some(q) = f.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if q.chars().count() > MAX_SEARCH {
            return Err(AppError::invalid(
                "search",
                format!("must be at most {MAX_SEARCH} characters"),
            ));
        }
        values.push(q.into());
        let words = values.len();
        values.push(like_escaped(q).into());
        let pattern = values.len();
        sql.push_str(&format!(
            " AND (to_tsvector('english', j.title || ' ' || coalesce(j.description, '') || ' ' || \
               coalesce(j.location, '') || ' ' || c.company_name) @@ plainto_tsquery('english', ${words}) \
               OR j.title ILIKE '%' || ${pattern} || '%')"
        ));
    }
    Ok((sql, values))
}

/// A page of jobs the viewer may see.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    filter: &JobFilter,
    page: &PageRequest<Cursor>,
) -> AppResult<Paged<JobRow>> {
    let (mut sql, mut values) = where_sql(viewer, filter)?;
    let mut bounds = Vec::new();
    let tail = page.sql(&["j.created_at", "j.id"], true, &mut bounds, &mut values);
    for b in bounds {
        sql.push_str(" AND ");
        sql.push_str(&b);
    }
    let full = format!("{}{sql} {tail}", select_sql());
    let rows = JobRow::find_by_statement(Statement::from_sql_and_values(DbBackend::Postgres, full, values))
        .all(conn)
        .await?;
    Ok(page.finish(rows))
}

/// How many jobs of the list match `filter`.
pub async fn count<C: ConnectionTrait>(conn: &C, viewer: &Viewer, filter: &JobFilter) -> AppResult<u64> {
    let (sql, values) = where_sql(viewer, filter)?;
    let full = format!(
        "SELECT count(*) AS n FROM (SELECT $1::uuid AS viewer) v, jobs j \
         JOIN company_profiles c ON c.id = j.company_profile_id{sql}"
    );
    page::count(conn, full, values).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_escaped("50%_off\\"), "50\\%\\_off\\\\");
    }
}
