//! `csep mcp`: session recall and the repo's memory as MCP tools the agent calls,
//! served over stdio with the official Rust SDK (rmcp). Read-only: nothing here
//! writes to the index or to memory.

mod memory;
pub mod registration;
mod render;
mod source;
mod tools;

use std::path::PathBuf;

use rmcp::ServiceExt;

use crate::home::Home;

pub use registration::{ClientRegistration, Registration, registration_status};
pub use tools::RecallServer;

/// The name the clients know the server by: tools reach the model as
/// `mcp__csep__<tool>`.
pub const SERVER_NAME: &str = "csep";

/// The tools, all read-only.
pub const TOOLS: [&str; 4] = [
    "search_sessions",
    "open_session",
    "recent_sessions",
    "read_memory",
];

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot start the MCP server's runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("the MCP session did not start: {0}")]
    Initialize(#[source] Box<rmcp::service::ServerInitializeError>),
    #[error("the MCP server stopped abnormally: {0}")]
    Join(#[source] tokio::task::JoinError),
}

/// Serves the tools on stdin/stdout until the client closes the connection.
pub fn serve_stdio(home: Home, cwd: PathBuf) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(async move {
        let service = RecallServer::new(home, cwd)
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| ServeError::Initialize(Box::new(e)))?;
        service
            .waiting()
            .await
            .map(|_| ())
            .map_err(ServeError::Join)
    })
}
