//! Removing engine objects by label: everything of a data dir (uninstalling, and the tests' clean-up). The removal
//! itself is the engine layer's ([`crate::engine::purge`]); the tests and the bench call its [`crate::Engine`]
//! methods (`purge_instance`, `labelled`, `remove_containers`, `remove_images`).

pub use crate::engine::purge::Labelled;

use crate::{Core, Result};

impl Core {
    /// Remove every engine object of this data dir (sandboxes, git volumes, snapshot images, user preset images).
    /// The database is left as is; the next [`Core::recover`] marks what disappeared.
    pub async fn purge(&self) -> Result<usize> {
        self.engine().purge_instance(self.paths().instance()).await
    }
}
