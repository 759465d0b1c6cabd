//! Commands about sandboxes, their commands and logs, and the effective configuration of a new one.

use sbx_api::requests::{
    CreateSandbox, DeleteSandbox, ExecInSandbox, ExplainConfig, GetLogs, GetSandbox, ListSandboxes,
    RestartSandbox, StartSandbox, StopSandbox,
};

super::handle! {
    CreateSandbox => |core, params| Ok(core.create_sandbox(&params).await?);
    ExplainConfig => |core, params| Ok(core.explain_config(&params.create).await?);
    ListSandboxes => |core, request| Ok(core.list_sandboxes_page(&request).await?);
    GetSandbox => |core, params| Ok(core.get_sandbox(&params.name).await?);
    StartSandbox => |core, params| Ok(core.start_sandbox(&params.name).await?);
    StopSandbox => |core, params| Ok(core.stop_sandbox(&params.name).await?);
    RestartSandbox => |core, params| Ok(core.restart_sandbox(&params.name).await?);
    DeleteSandbox => |core, params| Ok(core.delete_sandbox(&params.name, params.force).await?);
    GetLogs => |core, params| Ok(core.sandbox_logs(&params).await?);
    ExecInSandbox => |core, params| Ok(core.exec_collect(&params).await?);
}
