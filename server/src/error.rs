//! The one error type of the API: its contract code, HTTP status and JSON body, and the same
//! error as a failed Socket.IO acknowledgement.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use notify_bindings::{Ack, ErrorBody, ErrorCode, ErrorResponse};

use crate::store::StoreError;
use crate::validation::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    InvalidJson(String),
    #[error(transparent)]
    Validation(#[from] Invalid),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The request body did not arrive in time (408; code `invalid_json`: no readable body).
    #[error("{0}")]
    BodyTimeout(String),
    #[error("too many requests; retry in {} ms", retry_after.as_millis())]
    RateLimited { retry_after: Duration },
    #[error("service unavailable; try again shortly")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Unauthorized(_) => ErrorCode::Unauthorized,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::InvalidJson(_) => ErrorCode::InvalidJson,
            ApiError::Validation(_) => ErrorCode::ValidationFailed,
            ApiError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            ApiError::BodyTimeout(_) => ErrorCode::InvalidJson,
            ApiError::RateLimited { .. } => ErrorCode::RateLimited,
            ApiError::Unavailable(_) => ErrorCode::Unavailable,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::InvalidJson(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body callers see. Internal details are logged here and never shown.
    pub fn body(&self) -> ErrorBody {
        match self {
            ApiError::Internal(detail) => tracing::error!(%detail, "internal error"),
            ApiError::Unavailable(detail) => tracing::warn!(%detail, "dependency unavailable"),
            _ => {}
        }
        ErrorBody {
            code: self.code(),
            message: self.to_string(),
        }
    }

    /// The same error as a failed Socket.IO ack.
    pub fn ack<T>(&self) -> Ack<T> {
        let ErrorBody { code, message } = self.body();
        Ack::err(code, message)
    }

    pub fn not_found() -> Self {
        ApiError::NotFound("no such notification".into())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(detail) => ApiError::Unavailable(detail),
            StoreError::Internal(detail) => ApiError::Internal(detail),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            ApiError::RateLimited { retry_after } => Some(retry_after.as_secs().max(1)),
            _ => None,
        };
        let mut response = (
            self.status(),
            axum::Json(ErrorResponse { error: self.body() }),
        )
            .into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
