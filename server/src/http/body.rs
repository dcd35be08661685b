//! Request bodies: a deadline for the whole body (`--body-read-timeout`, counted from the
//! request head), and bodies read up to the size limit. Past the limit, the rest is read and
//! discarded (at most [`LINGER_BYTES`], within the same deadline) before the 413 goes out, as
//! nginx's lingering close does: a client still sending then reads the answer instead of a
//! connection reset.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt;
use http_body::{Frame, SizeHint};
use tokio::time::Sleep;

use crate::error::ApiError;
use crate::state::AppState;

/// How much of an oversize body is read and discarded before answering 413.
pub const LINGER_BYTES: usize = 1 << 20;

/// Middleware: every request body must arrive in full before the body-read timeout.
pub async fn deadline(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let timeout = state.config.body_read_timeout;
    next.run(request.map(|body| Body::new(DeadlineBody::new(body, timeout))))
        .await
}

/// The body did not arrive before its deadline.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the body-read timeout")]
pub struct BodyTimedOut;

struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
}

impl DeadlineBody {
    fn new(inner: Body, timeout: Duration) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))));
        }
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Reads a whole request body of at most `limit` bytes; see the module docs.
pub async fn read_limited(request: Request, limit: usize) -> Result<Bytes, ApiError> {
    let announced = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut chunks = request.into_body().into_data_stream();
    if announced.is_some_and(|length| length > limit) {
        linger(&mut chunks).await;
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(unreadable)?;
        if body.len() + chunk.len() > limit {
            linger(&mut chunks).await;
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.into())
}

/// Reads and discards the rest of a body, up to [`LINGER_BYTES`] (or its deadline).
async fn linger(chunks: &mut axum::body::BodyDataStream) {
    let mut discarded = 0;
    while discarded < LINGER_BYTES {
        match chunks.next().await {
            Some(Ok(chunk)) => discarded += chunk.len(),
            _ => break,
        }
    }
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge("request body is over the size limit".into())
}

fn unreadable(error: axum::Error) -> ApiError {
    let timed_out = std::error::Error::source(&error)
        .is_some_and(|source| source.is::<BodyTimedOut>())
        || error.to_string().contains("body-read timeout");
    if timed_out {
        ApiError::BodyTimeout(BodyTimedOut.to_string())
    } else {
        ApiError::InvalidJson(format!("the request body could not be read: {error}"))
    }
}
