//! Starts the server: `make run` or `cargo leptos watch`. Settings come from
//! the environment; see README "Configuration". `chat demo [--at TIME]`
//! instead writes the demo (`app::server::demo`) into an empty database.

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
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => {}
        ["demo"] => return demo(&config, app::server::storage::db::now_ms()).await,
        ["demo", "--at", at] => match app::server::demo::parse_time(at) {
            Some(at) => return demo(&config, at).await,
            None => {
                eprintln!(
                    "chat demo --at {at}: not an RFC 3339 time, such as 2026-11-30T16:00:00Z"
                );
                return std::process::ExitCode::FAILURE;
            }
        },
        _ => {
            eprintln!(
                "usage: chat            serve (README \"Configuration\")\n       chat demo [--at RFC3339]   write the demo into an empty database"
            );
            return std::process::ExitCode::FAILURE;
        }
    }
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

/// Writes the demo history, as it stands at `at`, into the configured
/// database, which must have no accounts.
async fn demo(config: &Config, at: i64) -> std::process::ExitCode {
    let mut settings = config.settings.clone();
    // A week of conversation in a second, from one address.
    settings.sends.burst = 10_000;
    settings.login.registrations_per_address = 10_000;
    let seeded = async {
        let db = app::server::storage::db::Db::connect(&config.database_url)
            .await
            .map_err(|e| format!("cannot open the database: {e}"))?;
        let state = app::server::state::AppState::new(db, settings)
            .await
            .map_err(|e| e.to_string())?;
        let seeded = app::server::demo::seed(&state, at).await;
        state
            .background
            .stop(std::time::Duration::from_secs(5))
            .await;
        seeded.map_err(|e| e.to_string())
    };
    match seeded.await {
        Ok(()) => {
            tracing::info!(
                people = ?app::server::demo::PEOPLE,
                "demo written; every account's password is \"{}\"",
                app::server::demo::PASSWORD
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot write the demo");
            std::process::ExitCode::FAILURE
        }
    }
}
