//! Commands about the Docker engine.

use sbx_api::requests::{GetEngineStatus, ListContainers};

super::handle! {
    GetEngineStatus => |core, ()| Ok(core.engine_status().await);
    ListContainers => |core, ()| Ok(core.list_containers().await?);
}
