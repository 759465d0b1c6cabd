//! Commands about interactive terminal sessions (output arrives as events).

use sbx_api::requests::{CloseTerminal, OpenTerminal, WriteTerminal};

super::handle! {
    OpenTerminal => |core, params| Ok(core.open_terminal(&params.name, params.cols, params.rows).await?);
    WriteTerminal => |core, params| Ok(core.write_terminal(&params.session, &params.data).await?);
    CloseTerminal => |core, session| Ok(core.close_terminal(&session).await?);
}
