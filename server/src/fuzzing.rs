//! Entry points for the fuzz targets in `fuzz/` (not part of the API): the validation of
//! socket events and REST bodies, exactly as the handlers run it, without I/O.

use notify_bindings::CreateNotification;
use serde_json::Value;

use crate::{json, socket, validation};

/// The default body limit the handlers apply.
const BODY_LIMIT: usize = 64 * 1024;

/// A socket event `name` whose payload arrived as `payload` (JSON text, as socketioxide hands
/// it over): decoded and validated, errors turned into the failed ack the client would get.
pub fn socket_event(name: &str, payload: &str) {
    let decoded = serde_json::from_str::<Value>(payload)
        .map_err(|e| json::unreadable(&e))
        .and_then(|data| socket::events::decode(name, data, BODY_LIMIT));
    if let Err(e) = decoded {
        let _ = e.ack::<()>();
    }
}

/// A `POST /notifications` body: parsed and validated, errors turned into the error response.
pub fn rest_body(bytes: &[u8]) {
    let checked = json::parse_json::<CreateNotification>(bytes)
        .and_then(|body| validation::new_notification(body).map_err(Into::into));
    if let Err(e) = checked {
        let _ = e.body();
    }
}
