//! Every way loading or running a guest can fail, as one typed enum.

use std::sync::Arc;

use crate::model::GuestError;
use crate::path_error::PathError;

use super::World;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("not a WebAssembly file (it does not start with the `\\0asm` magic)")]
    NotWasm,

    #[error(
        "a core WebAssembly module, not a component: build the guest for the `wasm32-wasip2` \
         target (which links a component), or wrap a core module with `wasm-tools component new`"
    )]
    CoreModule,

    #[error("not a valid WebAssembly component: {0}")]
    Malformed(String),

    #[error(
        "does not implement a csep world: it exports {exports}; a trigger policy exports \
         `csep:engine/policy@{version}`, a reflection strategy `csep:engine/strategy@{version}`"
    )]
    UnknownWorld {
        exports: String,
        version: &'static str,
    },

    #[error(
        "implements the `{found}` world where a `{expected}` is needed: rebuild it with \
         `wit_bindgen::generate!({{ world: \"{expected}\", .. }})`"
    )]
    WrongWorld { expected: World, found: World },

    #[error(
        "targets csep:engine {found}, but this csep supports {supported}: rebuild the guest \
         against the wit/ folder of this csep version (or upgrade csep)"
    )]
    UnsupportedVersion { found: String, supported: String },

    #[error("does not fit the `{world}` world of csep:engine@{version}: {detail}")]
    Incompatible {
        world: World,
        version: &'static str,
        detail: String,
    },

    #[error("the guest ran past its time limit of {limit_ms} ms and was stopped")]
    Timeout { limit_ms: u64 },

    #[error(
        "the guest tried to grow its memory past the limit of {limit_bytes} bytes and was stopped"
    )]
    OutOfMemory { limit_bytes: u64 },

    #[error("the guest went past a resource limit and was stopped: {0}")]
    ResourceLimit(String),

    #[error("the guest trapped: {message}{}", stderr_suffix(.stderr))]
    Trap { message: String, stderr: String },

    #[error("the guest returned a `{field}` of {len} bytes, over the limit of {max}")]
    OversizedOutput {
        field: &'static str,
        len: usize,
        max: usize,
    },

    /// Not a `source`: the message already holds it, and an error chain printed
    /// with its sources would say it twice.
    #[error("the guest reported an error: {0}")]
    Guest(GuestError),

    #[error(transparent)]
    Io(#[from] PathError),

    #[error("the WebAssembly engine failed: {0}")]
    Engine(#[source] EngineError),

    #[error("preopening {}: {source}", path.display())]
    Preopen {
        path: std::path::PathBuf,
        #[source]
        source: EngineError,
    },

    #[error("invalid sandbox limits: {0}")]
    Limits(#[from] super::limits::InvalidLimits),
}

/// What wasmtime itself failed at. Cheap to clone: the linkers and the watchdog are
/// set up once per engine and every later caller gets the same failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EngineError {
    #[error("{0:#}")]
    Wasmtime(Arc<wasmtime::Error>),
    #[error("cannot start the sandbox watchdog thread: {0}")]
    Watchdog(#[source] Arc<std::io::Error>),
}

impl From<wasmtime::Error> for EngineError {
    fn from(e: wasmtime::Error) -> Self {
        EngineError::Wasmtime(Arc::new(e))
    }
}

impl From<EngineError> for SandboxError {
    fn from(e: EngineError) -> Self {
        SandboxError::Engine(e)
    }
}

fn stderr_suffix(stderr: &str) -> String {
    let tail = stderr.trim();
    if tail.is_empty() {
        String::new()
    } else {
        format!(" (guest stderr: {tail})")
    }
}

impl SandboxError {
    /// wasmtime failed at something other than reading a guest.
    pub(crate) fn engine(e: wasmtime::Error) -> SandboxError {
        SandboxError::Engine(e.into())
    }

    /// wasmtime could not read or compile the component.
    pub(crate) fn malformed(e: wasmtime::Error) -> SandboxError {
        SandboxError::Malformed(with_hint(format!("{e:#}")))
    }

    /// The component does not link against what this host provides for `world`.
    pub(crate) fn incompatible(world: World, e: wasmtime::Error) -> SandboxError {
        SandboxError::Incompatible {
            world,
            version: super::CONTRACT_VERSION,
            detail: with_hint(format!("{e:#}")),
        }
    }

    /// A short stable name for logs and JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            SandboxError::NotWasm => "not-wasm",
            SandboxError::CoreModule => "core-module",
            SandboxError::Malformed(_) => "malformed",
            SandboxError::UnknownWorld { .. } => "unknown-world",
            SandboxError::WrongWorld { .. } => "wrong-world",
            SandboxError::UnsupportedVersion { .. } => "unsupported-version",
            SandboxError::Incompatible { .. } => "incompatible",
            SandboxError::Timeout { .. } => "timeout",
            SandboxError::OutOfMemory { .. } => "out-of-memory",
            SandboxError::ResourceLimit(_) => "resource-limit",
            SandboxError::Trap { .. } => "trap",
            SandboxError::OversizedOutput { .. } => "oversized-output",
            SandboxError::Guest(_) => "guest-error",
            SandboxError::Io(_) => "io",
            SandboxError::Engine(_) => "engine",
            SandboxError::Preopen { .. } => "io",
            SandboxError::Limits(_) => "limits",
        }
    }
}

/// Appends what to do about the usual causes: a component built for the async ABI,
/// or one that imports an interface the host does not provide.
fn with_hint(detail: String) -> String {
    if detail.contains("component model async feature") {
        return format!(
            "{detail} (this csep runs synchronous components only: build the guest without \
             the component-model async ABI)"
        );
    }
    let missing = detail
        .split_once("imports instance ")
        .and_then(|(_, rest)| rest.split([',', ' ']).next())
        .map(|name| name.trim_matches('`'))
        .filter(|_| detail.contains("was not found in the linker"));
    match missing {
        Some(name) => format!(
            "{detail} (csep gives guests their world's csep:engine imports and the basic WASI \
             0.2 interfaces, not {name}: build the guest without it, e.g. ComponentizeJS with \
             `--disable http fetch-event`)"
        ),
        None => detail,
    }
}

impl From<GuestError> for SandboxError {
    fn from(e: GuestError) -> Self {
        SandboxError::Guest(e)
    }
}

#[cfg(test)]
mod tests {
    use super::with_hint;

    #[test]
    fn the_usual_causes_get_a_hint() {
        let http = with_hint(
            "component imports instance `wasi:http/types@0.2.10`, but a matching \
             implementation was not found in the linker"
                .into(),
        );
        assert!(
            http.contains("not wasi:http/types@0.2.10: build the guest without it"),
            "{http}"
        );
        let not_async = with_hint(
            "failed to parse WebAssembly module: task.cancel requires the component model \
             async feature (at offset 0x18b03e)"
                .into(),
        );
        assert!(
            not_async.contains("synchronous components only"),
            "{not_async}"
        );
        assert_eq!(with_hint("something else".into()), "something else");
    }
}
