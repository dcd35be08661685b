//! The HTTP side: REST routes, SSE, health and metrics, with CORS, body limits, tracing and
//! request metrics around them. Socket.IO is mounted as a layer beside the routes.
//!
//! The middleware wraps the router once, as one service, rather than each route
//! (`Router::layer`): a route layered that way is a box in a box per layer, cloned whole for
//! every request and again by each `from_fn` inside it — 55 of the 161 `malloc` calls a
//! WebSocket handshake made (docs/benchmarks.md, "Handshake CPU: fewer writes and allocations").

mod body;
mod dev;
mod extract;
mod handshake_limit;
mod health;
mod notifications;
mod openapi;
mod sse;

use std::sync::Arc;
use std::time::{Duration, Instant};

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use socketioxide::adapter::Adapter;
use socketioxide::layer::SocketIoLayer;
use tower::ServiceBuilder;
use tower::util::BoxCloneSyncService;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::metrics::RequestLabels;
use crate::state::AppState;

/// The whole HTTP application, as served on each connection.
pub type App = BoxCloneSyncService<Request<Incoming>, Response, Infallible>;

/// The whole HTTP application: the middleware around Socket.IO (whose handshake heads
/// `detach_head` copies first) and, past it, the routes.
pub fn app<A: Adapter>(
    state: Arc<AppState>,
    socket_io: SocketIoLayer<A>,
    detach_head: fn(Request) -> Request,
) -> App {
    let cors = cors(&state.config.cors_origins, state.config.dev);
    let dev_routes = if state.dev.is_some() {
        dev::router()
    } else {
        OpenApiRouter::new()
    };
    let routes = OpenApiRouter::new()
        .merge(notifications::router())
        .merge(health::router())
        .merge(dev_routes);
    let router = openapi::with_document(routes)
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async {
            ApiError::NotFound("no such route for this method".into())
        })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_metrics,
        ))
        .with_state(state.clone());
    let service = ServiceBuilder::new()
        .map_request(|request: Request<Incoming>| request.map(Body::new))
        .map_response(IntoResponse::into_response)
        .layer(cors)
        .map_response(IntoResponse::into_response)
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            body::deadline,
        ))
        .layer(middleware::from_fn_with_state(
            state,
            handshake_limit::limit,
        ))
        .map_request(detach_head)
        .map_response(IntoResponse::into_response)
        .layer(socket_io)
        .service(router);
    BoxCloneSyncService::new(service)
}

/// CORS: none by default, the configured origins, or any with `*` (and in dev mode).
/// Tokens travel in headers, never cookies, so credentials are not allowed.
fn cors(origins: &[String], dev: bool) -> CorsLayer {
    let allow_origin = if origins.iter().any(|o| o == "*") || (origins.is_empty() && dev) {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| o.trim().parse().ok()))
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("last-event-id"),
        ])
        .max_age(Duration::from_secs(600))
}

/// The `method` label: the standard methods by name, anything else as `other`, so that made-up
/// methods can't grow `/metrics` without bound.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    KNOWN
        .iter()
        .find(|known| *known == method)
        .map_or("other", Method::as_str)
}

async fn record_metrics(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = method_label(request.method()).to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    let labels = RequestLabels {
        method,
        route,
        status: response.status().as_u16(),
    };
    state
        .metrics
        .request_duration
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}
