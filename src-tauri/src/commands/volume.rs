//! Commands about git volumes.

use sbx_api::requests::{DeleteVolume, ListVolumes};

super::handle! {
    ListVolumes => |core, ()| Ok(core.list_volumes().await?);
    DeleteVolume => |core, name| Ok(core.delete_volume(&name).await?);
}
