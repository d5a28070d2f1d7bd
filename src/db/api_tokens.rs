//! Bearer tokens of the backend API (`/api/v1`): each belongs to one tenant and sees only its cases.
//! The token is shown once when it is made; the database keeps its SHA-256 (256 random bits need no
//! slow hash), so a copy of the database opens nothing.

use chrono::{DateTime, Utc};

use super::{Db, with_pool};
use crate::auth::token;

/// A token as `api-token list` shows it: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new token for the tenant with this slug: its id and the token, which is not kept. `None` when
/// no tenant in service has the slug.
pub async fn create(db: &Db, tenant_slug: &str, name: &str) -> sqlx::Result<Option<(String, String)>> {
    let Some(tenant_id) = tenant_in_service(db, tenant_slug).await? else {
        return Ok(None);
    };
    let id = uuid::Uuid::now_v7().to_string();
    let secret = token::random_token();
    with_pool!(db, pool => sqlx::query(
        "INSERT INTO api_token (id, tenant_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id).bind(&tenant_id).bind(name).bind(token::hash(&secret)).bind(Utc::now())
        .execute(pool).await.map(|_| ()))?;
    Ok(Some((id, secret)))
}

/// The tenant's tokens, oldest first; `None` when no tenant in service has the slug.
pub async fn of_tenant(db: &Db, tenant_slug: &str) -> sqlx::Result<Option<Vec<ApiToken>>> {
    let Some(tenant_id) = tenant_in_service(db, tenant_slug).await? else {
        return Ok(None);
    };
    with_pool!(db, pool => sqlx::query_as(
        "SELECT id, name, created_at, revoked_at FROM api_token WHERE tenant_id = $1 ORDER BY created_at, id")
        .bind(tenant_id).fetch_all(pool).await)
    .map(Some)
}

/// Revokes the token with this id at once; false when there is none, or it was revoked before.
pub async fn revoke(db: &Db, id: &str) -> sqlx::Result<bool> {
    let revoked = with_pool!(db, pool => sqlx::query(
        "UPDATE api_token SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(Utc::now()).bind(id).execute(pool).await.map(|done| done.rows_affected()))?;
    Ok(revoked == 1)
}

/// The tenant (id) whose token this is, while the token is not revoked and its tenant is in service.
pub async fn tenant_of(db: &Db, secret: &str) -> sqlx::Result<Option<String>> {
    with_pool!(db, pool => sqlx::query_scalar(
        "SELECT a.tenant_id FROM api_token a JOIN tenant t ON t.id = a.tenant_id
         WHERE a.token_hash = $1 AND a.revoked_at IS NULL AND t.retired_at IS NULL")
        .bind(token::hash(secret)).fetch_optional(pool).await)
}

async fn tenant_in_service(db: &Db, slug: &str) -> sqlx::Result<Option<String>> {
    with_pool!(db, pool => sqlx::query_scalar("SELECT id FROM tenant WHERE slug = $1 AND retired_at IS NULL")
        .bind(slug).fetch_optional(pool).await)
}
