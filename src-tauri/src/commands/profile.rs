//! Commands about sandbox profiles: list, show, create, edit, publish, refresh, a job's output, test the draft,
//! delete.

use sbx_api::requests::{
    CreateProfile, DeleteProfile, EditProfile, GetProfile, GetProfileJob, ListProfiles,
    PublishProfile, RefreshProfile, TestProfile,
};

super::handle! {
    ListProfiles => |core, ()| Ok(core.list_profiles().await?);
    GetProfile => |core, name| Ok(core.get_profile(&name).await?);
    CreateProfile => |core, params| Ok(core.create_profile(&params).await?);
    EditProfile => |core, params| Ok(core.edit_profile(&params).await?);
    PublishProfile => |core, name| Ok(core.publish_profile(&name).await?);
    RefreshProfile => |core, params| Ok(core.refresh_profile(&params).await?);
    GetProfileJob => |core, id| Ok(core.profile_job(&id).await?);
    TestProfile => |core, params| Ok(core.test_profile(&params).await?);
    DeleteProfile => |core, name| Ok(core.delete_profile(&name).await?);
}
