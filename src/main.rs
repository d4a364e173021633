//! Starts the server: `make run` or `cargo leptos watch`. Settings come from
//! the environment; see README "Configuration".

use chat::startup::{Config, build, serve, shutdown_signal};
use tracing_subscriber::EnvFilter;

/// Thousands of sockets allocate and free small buffers on every message;
/// mimalloc does that with less CPU and less fragmentation than glibc's
/// allocator (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (v3): how long freed memory is kept
/// before it goes back to the system.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Return freed memory at once. Every login hashes a password with
    // 19 MiB (argon2id) on a blocking thread that may then sit idle, and a
    // delayed purge would leave that memory counted against the server until
    // the thread allocates again.
    // SAFETY: sets a plain integer option; mimalloc reads it on each purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            tracing::error!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let (router, state) = match build(&config).await {
        Ok(built) => built,
        Err(e) => {
            // The URL prints with its password hidden (DatabaseUrl).
            tracing::error!(error = %e, database_url = %config.database_url, "cannot open the database");
            return std::process::ExitCode::FAILURE;
        }
    };
    let addr = config.leptos.site_addr;
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!(error = %e, %addr, "cannot listen");
            return std::process::ExitCode::FAILURE;
        }
    };
    // The bound address, not the configured one: port 0 picks a free port.
    let addr = listener.local_addr().unwrap_or(addr);
    let stop = shutdown_signal();
    tracing::info!("listening on http://{addr}");
    match serve(listener, router, state, stop).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            std::process::ExitCode::FAILURE
        }
    }
}
