//! Removing engine objects by label: everything of a data dir (uninstalling, and the tests' clean-up). The removal
//! itself is the engine layer's ([`crate::engine::purge`]); its functions taking a client of their own are
//! re-exported here for the tests and the bench.

pub use crate::engine::purge::{
    labelled, purge_instance, remove_containers, remove_images, remove_volumes,
};

use crate::{Core, Result};

impl Core {
    /// Remove every engine object of this data dir (sandboxes, git volumes, snapshot images, user preset images).
    /// The database is left as is; the next [`Core::recover`] marks what disappeared.
    pub async fn purge(&self) -> Result<usize> {
        self.engine().purge_instance(self.paths().instance()).await
    }
}
