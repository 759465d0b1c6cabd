//! Commands about snapshots: take, list, show, restore, delete, cloning a sandbox, lineage and storage.

use sbx_api::requests::{
    CloneSandbox, CreateSnapshot, DeleteSnapshot, GetLineage, GetSnapshot, GetStorage,
    ListSnapshots, PreviewScrub, RestoreSnapshot,
};

super::handle! {
    CreateSnapshot => |core, params| Ok(core.create_snapshot(&params).await?);
    PreviewScrub => |core, sandbox| Ok(core.preview_scrub(&sandbox).await?);
    ListSnapshots => |core, params| Ok(core.list_snapshots(&params).await?);
    GetSnapshot => |core, name| Ok(core.get_snapshot(&name).await?);
    RestoreSnapshot => |core, params| Ok(core.restore_snapshot(&params).await?);
    DeleteSnapshot => |core, name| Ok(core.delete_snapshot(&name).await?);
    CloneSandbox => |core, params| Ok(core.clone_sandbox(&params).await?);
    GetLineage => |core, snapshot| Ok(core.snapshot_lineage(&snapshot).await?);
    GetStorage => |core, ()| Ok(core.snapshot_storage().await?);
}
