//! Repositories sandboxes were created from, and their default snapshot (N9): set in the app (stored here) or in
//! `.amika/config.toml` `[sandbox] snapshot`; the app's value wins.

use chrono::Utc;
use sbx_api::{ApiError, DefaultSource, RepoDefaultRequest, Repository};
use std::path::Path;

use crate::store::repositories::{self, RepositoryRow};
use crate::{Core, Result, config, git};

impl Core {
    /// Remember that a sandbox was created from the repository `key` (its host root, or its URL).
    pub(crate) async fn note_repository(&self, key: &str, name: &str) -> Result<()> {
        repositories::note_sandbox(self.store().pool(), key, name, Utc::now()).await
    }

    /// The default snapshot set in the app for repository `key`.
    pub async fn app_default_snapshot(&self, key: &str) -> Result<Option<String>> {
        repositories::default_snapshot(self.store().pool(), key).await
    }

    fn repository_view(&self, row: RepositoryRow) -> Repository {
        let config_snapshot = Path::new(&row.root)
            .is_dir()
            .then(|| config::load(Path::new(&row.root)).ok().flatten())
            .flatten()
            .and_then(|c| c.snapshot);
        let (default_snapshot, default_source) = match (&row.default_snapshot, &config_snapshot) {
            (Some(app), _) => (Some(app.clone()), Some(DefaultSource::App)),
            (None, Some(file)) => (Some(file.clone()), Some(DefaultSource::RepoConfig)),
            (None, None) => (None, None),
        };
        Repository {
            root: row.root,
            name: row.name,
            default_snapshot,
            default_source,
            app_snapshot: row.default_snapshot,
            config_snapshot,
            sandboxes_created: row.sandboxes_created.max(0) as u64,
        }
    }

    /// Every repository sandboxes were created from (or that has a default set), most recently used first.
    pub async fn list_repositories(&self) -> Result<Vec<Repository>> {
        let rows = repositories::all(self.store().pool()).await?;
        Ok(rows.into_iter().map(|r| self.repository_view(r)).collect())
    }

    /// The repository a path (inside a local repository) or URL names, as its key and name.
    fn repository_key(&self, path: &str) -> Result<(String, String)> {
        let source = git::resolve(
            &sbx_api::GitChoice::Source(path.to_string()),
            &std::env::current_dir().unwrap_or_default(),
        )
        .map_err(|e| match e {
            ApiError::InvalidInput { value, message, .. } => {
                ApiError::invalid(sbx_api::Field::Path, value, message)
            }
            other => other,
        })?
        .ok_or_else(|| ApiError::invalid(sbx_api::Field::Path, path, "not a repository"))?;
        Ok((source.display(), source.name))
    }

    /// The repository `path` is in, with its defaults.
    pub async fn repository(&self, path: &str) -> Result<Repository> {
        let (key, name) = self.repository_key(path)?;
        let row = repositories::by_root(self.store().pool(), &key).await?;
        Ok(self.repository_view(row.unwrap_or(RepositoryRow {
            root: key,
            name,
            default_snapshot: None,
            sandboxes_created: 0,
        })))
    }

    /// Set (an active snapshot) or clear (`None`) the app's default snapshot of the repository `path` is in. The
    /// default is also kept on a marker volume, so it comes back when the database is lost ([`crate::markers`]).
    pub async fn set_repo_default(&self, request: &RepoDefaultRequest) -> Result<Repository> {
        let (key, name) = self.repository_key(&request.path)?;
        if let Some(snapshot) = &request.snapshot {
            self.active_snapshot(&sbx_api::Field::Snapshot, snapshot)
                .await?;
        } else {
            // Cleared: the marker goes first, so it never outlives the default.
            self.keep_repo_default_marker(&key, &name, None).await?;
        }
        repositories::set_default_snapshot(
            self.store().pool(),
            &key,
            &name,
            request.snapshot.as_deref(),
            Utc::now(),
        )
        .await?;
        if request.snapshot.is_some() {
            self.keep_repo_default_marker(&key, &name, request.snapshot.as_deref())
                .await?;
        }
        self.repository(&request.path).await
    }
}
