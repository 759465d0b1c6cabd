//! Commands about repositories and their default snapshot, and the presets a sandbox can start from.

use sbx_api::requests::{ListPresets, ListRepositories, SetRepoDefault};

super::handle! {
    ListRepositories => |core, ()| Ok(core.list_repositories().await?);
    SetRepoDefault => |core, params| Ok(core.set_repo_default(&params).await?);
    ListPresets => |core, ()| Ok(core.presets().into_iter().map(|p| p.name).collect());
}
