//! Commands about the user's settings: the core owns the file (see `sbx_core::settings`).

use sbx_api::requests::{GetSettings, SaveSettings};

super::handle! {
    GetSettings => |core, ()| Ok(core.settings());
    SaveSettings => |core, settings| Ok(core.save_settings(&settings)?);
}
