//! Starts the server: `make run` or `cargo leptos watch`. Settings come from
//! the environment; see README "Configuration".

use chat::startup::{Config, build, serve, shutdown_signal};
use tracing_subscriber::EnvFilter;

/// Thousands of sockets allocate and free small buffers on every message;
/// mimalloc does that with less CPU and less fragmentation than glibc's
/// allocator (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
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
    tracing::info!("listening on http://{addr}");
    match serve(listener, router, state, shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            std::process::ExitCode::FAILURE
        }
    }
}
