//! The `profiles` and `profile_versions` tables: each profile's name and refresh schedule, its draft (at most one,
//! by a unique partial index) and its published versions (numbered once, by a unique index, so two processes
//! publishing at once cannot both make version N).

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::{Duplicate, refused_if_duplicate};
use crate::Result;

/// A profile row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProfileRow {
    /// Stable id.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// `manual`, `base-image` or a cron expression.
    pub refresh_schedule: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The last scheduled tick that fired or was skipped.
    pub last_schedule_tick: Option<DateTime<Utc>>,
}

/// A profile to record.
#[derive(Debug, Clone, Copy)]
pub struct NewProfile<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its name.
    pub name: &'a str,
    /// Its refresh schedule, as stored.
    pub refresh_schedule: &'a str,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A draft or published version row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    /// Stable id (the secret store keeps its secret values under it).
    pub id: String,
    /// The profile's id.
    pub profile_id: String,
    /// 1, 2, 3…; `None` for the draft.
    pub number: Option<i64>,
    /// JSON of the recipe.
    pub recipe: String,
    /// SHA-256 of the recipe, once published.
    pub digest: Option<String>,
    /// The version a draft was started from.
    pub based_on: Option<i64>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
}

/// A draft to record.
#[derive(Debug, Clone, Copy)]
pub struct NewDraft<'a> {
    /// Its id.
    pub id: &'a str,
    /// The profile's id.
    pub profile_id: &'a str,
    /// JSON of the recipe.
    pub recipe: &'a str,
    /// The version it starts from.
    pub based_on: Option<i64>,
    /// Now.
    pub at: DateTime<Utc>,
}

/// A published version found in the engine's labels (the database was lost).
#[derive(Debug, Clone, Copy)]
pub struct FoundVersion<'a> {
    /// Its id.
    pub id: &'a str,
    /// The profile's id.
    pub profile_id: &'a str,
    /// Its number.
    pub number: i64,
    /// JSON of the recipe.
    pub recipe: &'a str,
    /// Its digest.
    pub digest: &'a str,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was published.
    pub published_at: DateTime<Utc>,
}

/// Record a new profile; a taken name is a [`Duplicate`].
pub async fn insert(
    pool: &SqlitePool,
    profile: &NewProfile<'_>,
) -> Result<std::result::Result<(), Duplicate>> {
    let result = sqlx::query!(
        "INSERT INTO profiles (id, name, refresh_schedule, created_at) VALUES (?, ?, ?, ?)",
        profile.id,
        profile.name,
        profile.refresh_schedule,
        profile.created_at,
    )
    .execute(pool)
    .await;
    Ok(refused_if_duplicate(result)?.map(|_| ()))
}

/// Record a profile found in the engine's labels unless its id or name is known; whether it was inserted.
pub async fn insert_found(pool: &SqlitePool, profile: &NewProfile<'_>) -> Result<bool> {
    let done = sqlx::query!(
        "INSERT OR IGNORE INTO profiles (id, name, refresh_schedule, created_at) VALUES (?, ?, ?, ?)",
        profile.id,
        profile.name,
        profile.refresh_schedule,
        profile.created_at,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The profile called `name`.
pub async fn by_name(pool: &SqlitePool, name: &str) -> Result<Option<ProfileRow>> {
    Ok(sqlx::query_as!(
        ProfileRow,
        r#"SELECT id AS "id!", name, refresh_schedule, created_at AS "created_at: DateTime<Utc>",
           last_schedule_tick AS "last_schedule_tick: DateTime<Utc>"
           FROM profiles WHERE name = ?"#,
        name,
    )
    .fetch_optional(pool)
    .await?)
}

/// The profile whose id is `id`.
pub async fn by_id(pool: &SqlitePool, id: &str) -> Result<Option<ProfileRow>> {
    Ok(sqlx::query_as!(
        ProfileRow,
        r#"SELECT id AS "id!", name, refresh_schedule, created_at AS "created_at: DateTime<Utc>",
           last_schedule_tick AS "last_schedule_tick: DateTime<Utc>"
           FROM profiles WHERE id = ?"#,
        id,
    )
    .fetch_optional(pool)
    .await?)
}

/// Every profile, by name.
pub async fn all(pool: &SqlitePool) -> Result<Vec<ProfileRow>> {
    Ok(sqlx::query_as!(
        ProfileRow,
        r#"SELECT id AS "id!", name, refresh_schedule, created_at AS "created_at: DateTime<Utc>",
           last_schedule_tick AS "last_schedule_tick: DateTime<Utc>"
           FROM profiles ORDER BY name"#,
    )
    .fetch_all(pool)
    .await?)
}

/// Change a profile's refresh schedule (its ticks count from `at`).
pub async fn set_schedule(
    pool: &SqlitePool,
    id: &str,
    schedule: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE profiles SET refresh_schedule = ?, last_schedule_tick = ? WHERE id = ?",
        schedule,
        at,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Record the scheduled tick taken at `at`.
pub async fn set_schedule_tick(pool: &SqlitePool, id: &str, at: DateTime<Utc>) -> Result<()> {
    sqlx::query!(
        "UPDATE profiles SET last_schedule_tick = ? WHERE id = ?",
        at,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Forget a profile, its versions and its jobs.
pub async fn delete(pool: &SqlitePool, id: &str) -> Result<()> {
    sqlx::query!("DELETE FROM profiles WHERE id = ?", id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Record a draft; a second draft of the profile is a [`Duplicate`].
pub async fn insert_draft(
    pool: &SqlitePool,
    draft: &NewDraft<'_>,
) -> Result<std::result::Result<(), Duplicate>> {
    let result = sqlx::query!(
        "INSERT INTO profile_versions (id, profile_id, number, recipe, based_on, created_at, updated_at) \
         VALUES (?, ?, NULL, ?, ?, ?, ?)",
        draft.id,
        draft.profile_id,
        draft.recipe,
        draft.based_on,
        draft.at,
        draft.at,
    )
    .execute(pool)
    .await;
    Ok(refused_if_duplicate(result)?.map(|_| ()))
}

/// Record a published version found in the engine's labels unless its id or number is known; whether it was
/// inserted.
pub async fn insert_found_version(pool: &SqlitePool, version: &FoundVersion<'_>) -> Result<bool> {
    let done = sqlx::query!(
        "INSERT OR IGNORE INTO profile_versions \
         (id, profile_id, number, recipe, digest, created_at, updated_at, published_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        version.id,
        version.profile_id,
        version.number,
        version.recipe,
        version.digest,
        version.created_at,
        version.published_at,
        version.published_at,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The profile's draft.
pub async fn draft_of(pool: &SqlitePool, profile_id: &str) -> Result<Option<VersionRow>> {
    Ok(sqlx::query_as!(
        VersionRow,
        r#"SELECT id AS "id!", profile_id, number, recipe, digest, based_on,
           created_at AS "created_at: DateTime<Utc>", updated_at AS "updated_at: DateTime<Utc>",
           published_at AS "published_at: DateTime<Utc>"
           FROM profile_versions WHERE profile_id = ? AND number IS NULL"#,
        profile_id,
    )
    .fetch_optional(pool)
    .await?)
}

/// Change the draft's recipe.
pub async fn set_draft_recipe(
    pool: &SqlitePool,
    id: &str,
    recipe: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE profile_versions SET recipe = ?, updated_at = ? WHERE id = ? AND number IS NULL",
        recipe,
        at,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Make the draft `id` version `number` with its digest; `Ok(Ok(false))` when it is no longer a draft (published
/// meanwhile), a [`Duplicate`] when another process made version `number` first.
pub async fn publish(
    pool: &SqlitePool,
    id: &str,
    number: i64,
    digest: &str,
    at: DateTime<Utc>,
) -> Result<std::result::Result<bool, Duplicate>> {
    let result = sqlx::query!(
        "UPDATE profile_versions SET number = ?, digest = ?, published_at = ?, updated_at = ? \
         WHERE id = ? AND number IS NULL",
        number,
        digest,
        at,
        at,
        id,
    )
    .execute(pool)
    .await;
    Ok(refused_if_duplicate(result)?.map(|done| done.rows_affected() == 1))
}

/// The highest version number of the profile.
pub async fn highest_number(pool: &SqlitePool, profile_id: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT MAX(number) AS "number: i64" FROM profile_versions WHERE profile_id = ?"#,
        profile_id,
    )
    .fetch_one(pool)
    .await?)
}

/// The profile's published versions, newest first.
pub async fn published_of(pool: &SqlitePool, profile_id: &str) -> Result<Vec<VersionRow>> {
    Ok(sqlx::query_as!(
        VersionRow,
        r#"SELECT id AS "id!", profile_id, number, recipe, digest, based_on,
           created_at AS "created_at: DateTime<Utc>", updated_at AS "updated_at: DateTime<Utc>",
           published_at AS "published_at: DateTime<Utc>"
           FROM profile_versions WHERE profile_id = ? AND number IS NOT NULL ORDER BY number DESC"#,
        profile_id,
    )
    .fetch_all(pool)
    .await?)
}

/// A version (or the draft) by id.
pub async fn version_by_id(pool: &SqlitePool, id: &str) -> Result<Option<VersionRow>> {
    Ok(sqlx::query_as!(
        VersionRow,
        r#"SELECT id AS "id!", profile_id, number, recipe, digest, based_on,
           created_at AS "created_at: DateTime<Utc>", updated_at AS "updated_at: DateTime<Utc>",
           published_at AS "published_at: DateTime<Utc>"
           FROM profile_versions WHERE id = ?"#,
        id,
    )
    .fetch_optional(pool)
    .await?)
}

/// The ids of every version and draft of the profile (the secret store keeps values under them).
pub async fn version_ids_of(pool: &SqlitePool, profile_id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM profile_versions WHERE profile_id = ?"#,
        profile_id,
    )
    .fetch_all(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, crate::Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::open(&dir.path().join("db.sqlite"))
            .await
            .unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn one_draft_per_profile_and_each_number_once() {
        let (_dir, store) = store().await;
        let pool = store.pool();
        let now = Utc::now();
        let profile = NewProfile {
            id: "p",
            name: "web",
            refresh_schedule: "manual",
            created_at: now,
        };
        insert(pool, &profile).await.unwrap().unwrap();
        let again = NewProfile { id: "q", ..profile };
        assert!(insert(pool, &again).await.unwrap().is_err(), "name taken");

        let draft = NewDraft {
            id: "d1",
            profile_id: "p",
            recipe: "{}",
            based_on: None,
            at: now,
        };
        insert_draft(pool, &draft).await.unwrap().unwrap();
        let second = NewDraft { id: "d2", ..draft };
        assert!(
            insert_draft(pool, &second).await.unwrap().is_err(),
            "one draft"
        );

        assert_eq!(publish(pool, "d1", 1, "abc", now).await.unwrap(), Ok(true));
        assert_eq!(publish(pool, "d1", 2, "abc", now).await.unwrap(), Ok(false));
        insert_draft(pool, &second).await.unwrap().unwrap();
        assert!(publish(pool, "d2", 1, "def", now).await.unwrap().is_err());
        assert_eq!(highest_number(pool, "p").await.unwrap(), Some(1));
        assert_eq!(published_of(pool, "p").await.unwrap().len(), 1);
        assert_eq!(draft_of(pool, "p").await.unwrap().unwrap().id, "d2");

        delete(pool, "p").await.unwrap();
        assert!(
            version_by_id(pool, "d1").await.unwrap().is_none(),
            "cascade"
        );
    }
}
