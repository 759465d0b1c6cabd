//! `sbx api token [--rotate]`: the key of the local HTTP API (`sbx serve --api`, or the window's Settings switch),
//! made on first use and kept 0600 in the data dir. Rotating replaces it at once for every running server.

use clap::{Args, Subcommand};
use sbx_api::ApiError;
use sbx_core::Core;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// Print the key every request to the HTTP API sends in its x-api-key header (made on first use).
    Token(TokenArgs),
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Replace the key with a new one; the old one stops working at once, in running servers too.
    #[arg(long)]
    rotate: bool,
}

pub async fn run(core: &Core, command: ApiCommand) -> Result<ExitCode, ApiError> {
    match command {
        ApiCommand::Token(args) => {
            let paths = core.paths();
            let token = if args.rotate {
                sbx_http::token::rotate(paths)
            } else {
                sbx_http::token::ensure(paths)
            }
            .map_err(|e| {
                ApiError::internal(format!(
                    "writing the API token in {}: {e}",
                    paths.root().display()
                ))
            })?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
