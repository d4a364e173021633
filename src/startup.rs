//! Assembling and running the server: the database, the router (REST, WebSocket, server functions, pages, static
//! files) and graceful shutdown. Tests call [`spawn`] to run the real thing on
//! a free port.

use std::net::SocketAddr;
use std::time::Duration;

use app::server::live::fanout;
use app::server::storage::db::{Backend, Db};
use app::server::{AppState, Settings};
use app::{App, shell};
use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use axum::serve::ListenerExt;
use leptos::config::LeptosOptions;

pub use crate::config::{Config, ConfigError};
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// How long shutdown waits for sockets to finish their last frame and close.
const DRAIN_LIMIT: Duration = Duration::from_secs(15);

/// State for axum: our services plus what leptos_axum needs.
#[derive(Clone, axum::extract::FromRef)]
pub struct ServerState {
    pub app: AppState,
    pub leptos: LeptosOptions,
}

pub async fn build(config: &Config) -> Result<(Router, AppState), app::server::Error> {
    let db = Db::connect(&config.database_url).await?;
    let state = AppState::new(db, config.settings.clone()).await?;
    if state.db.backend() == Backend::Postgres {
        let stop = state.background.stopping();
        let node = fanout::Node {
            db: state.db.clone(),
            hub: state.hub.clone(),
            sessions: state.sessions.clone(),
        };
        state
            .background
            .spawn(fanout::listen(node, config.database_url.clone(), stop));
    }
    Ok((router(state.clone(), config.leptos.clone()), state))
}

/// The app's routes, found once per process. Finding them renders the app
/// with resource loading switched off by a process-wide flag, and a page
/// whose resource first runs while that flag is up never finishes
/// (leptos-rs/leptos#4773). One server never renders before its routes
/// exist, but tests run many servers in one process: found once, before
/// any of them serves, the flag is never up during a render.
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

fn router(state: AppState, leptos: LeptosOptions) -> Router {
    let routes = routes();
    let context_state = state.clone();
    let shell_options = leptos.clone();
    let api = crate::http::router()
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state.clone());
    let sockets = Router::new()
        .route("/ws", get(crate::ws::upgrade))
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state.clone());
    // Files: no 64 KiB body limit and no compression (src/http/uploads.rs).
    let files = crate::http::uploads::router()
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::origin::refuse_cross_site,
        ))
        .with_state(state.clone());
    let pages = Router::new()
        .leptos_routes_with_context(
            &ServerState {
                app: state.clone(),
                leptos: leptos.clone(),
            },
            routes,
            move || provide_context(context_state.clone()),
            move || shell(shell_options.clone()),
        )
        .fallback(crate::assets::files_or_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(ServerState {
            app: state.clone(),
            leptos,
        });
    pages
        .merge(api)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::origin::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn(crate::http::limit_body))
        // Pages and answers are per user: no shared cache keeps them, and a
        // browser asks again before reusing one. Static files set their own.
        .layer(header_layer(header::CACHE_CONTROL, "private, no-cache"))
        // Brotli or gzip, as the browser accepts, for what is not already
        // compressed (precompressed files carry their Content-Encoding).
        .layer(CompressionLayer::new())
        .merge(sockets)
        .merge(files)
        // Pages set their own policy (`app::server::web::csp`); anything else
        // may run nothing. No MIME sniffing, no framing by other sites
        // (clickjacking), no full URLs leaked to other origins.
        .layer(header_layer(
            header::CONTENT_SECURITY_POLICY,
            app::server::web::csp::NOT_A_PAGE,
        ))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header_layer(header::REFERRER_POLICY, "same-origin"))
        .layer(TraceLayer::new_for_http())
}

/// A known path asked with a method it does not take: answered in the
/// API's error shape, like every other refusal.
async fn method_not_allowed() -> app::server::Error {
    app::server::Error::MethodNotAllowed
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Serves until `shutdown` resolves. Then it stops accepting, lets in-flight
/// requests finish, and asks every socket to close with 1001 once the frame
/// it is handling is answered (so a send being stored still gets its ack),
/// waiting up to [`DRAIN_LIMIT`] for them. Sockets outlive the HTTP
/// connections they were upgraded from, hence the separate wait. Then the
/// background tasks (writer, publisher, listener) are stopped and awaited
/// (`app::server::background`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let hub = state.hub.clone();
    let drained = hub.clone();
    // Small writes go out at once. With Nagle's algorithm on, a socket that
    // writes an ack and then the room's copy of the same message holds the
    // second back until the peer acknowledges the first, and a peer that
    // delays its ACKs (Linux: up to 40 ms) stalls every such reply.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY on an accepted connection");
        }
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down");
        hub.shutdown_all();
    })
    .await?;
    if tokio::time::timeout(DRAIN_LIMIT, drained.no_connections())
        .await
        .is_err()
    {
        tracing::warn!(
            open = drained.connection_count(),
            "sockets still open after the drain limit"
        );
    }
    // Last, so that every send a socket was answering is stored first.
    if !state.background.stop(DRAIN_LIMIT).await {
        tracing::warn!(
            running = state.background.running(),
            "background tasks still running after the drain limit"
        );
    }
    tracing::info!("stopped");
    Ok(())
}

/// A running server for tests: its address, on a free port.
pub struct Spawned {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Spawned {
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

pub async fn spawn(database_url: &str) -> Spawned {
    spawn_with(
        database_url,
        LeptosOptions::builder().output_name("chat").build(),
    )
    .await
}

/// [`spawn`] serving the site described by `leptos` (its root, its hashes).
pub async fn spawn_with(database_url: &str, leptos: LeptosOptions) -> Spawned {
    spawn_config(Config {
        database_url: database_url.to_owned().into(),
        settings: Settings::default(),
        leptos,
    })
    .await
}

/// [`spawn`] with any configuration.
pub async fn spawn_config(config: Config) -> Spawned {
    let (router, state) = build(&config).await.expect("test server builds");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("free port");
    let addr = listener.local_addr().expect("bound address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, router, state.clone(), async move {
        let _ = stopped.await;
    }));
    Spawned {
        addr,
        state,
        stop: Some(stop),
        task,
    }
}

/// Resolves on Ctrl-C or SIGTERM. The SIGTERM handler is installed when
/// this is called, not when the future is first polled: the server calls it
/// before saying it is listening, so a SIGTERM that comes right after is a
/// clean stop, never the default kill.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let terminate = async move {
            match terminate {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {},
            () = terminate => {},
        }
    }
}
