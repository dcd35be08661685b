//! A thin REST client: [`Api`] sends requests, [`Reply`] keeps the status and the body.
//!
//! The typed helpers ([`Api::publish`], [`Api::list`], ...) assert the success status the
//! contract names and parse the body into the shared wire types; the raw ones ([`Api::get`],
//! [`Api::post_json`], [`Api::raw`]) return any [`Reply`] so error cases can be checked.

use notify_bindings::{
    CreateNotification, ErrorBody, ErrorCode, ErrorResponse, Notification, Page, UnreadCount,
    Updated,
};
use reqwest::{Method, RequestBuilder, StatusCode, header::HeaderMap};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// REST client bound to one server's base URL (`http://127.0.0.1:<port>`).
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

/// A response read to the end: status, headers and body text.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    /// The body as JSON (panics, showing the body, when it isn't).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("{} body is not JSON ({e}): {:?}", self.status, self.text))
    }

    /// The body parsed as `T` (panics, showing the body, when it doesn't fit).
    pub fn parse<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.text).unwrap_or_else(|e| {
            panic!(
                "{} body doesn't parse as {} ({e}): {:?}",
                self.status,
                std::any::type_name::<T>(),
                self.text
            )
        })
    }

    /// Asserts the status, showing the body when it differs.
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status, body: {:?}",
            self.text
        );
        self
    }

    /// Asserts an error reply: this status and a body `{"error": {"code": code, ...}}`.
    /// Returns the error so its message can be checked too.
    pub fn expect_error(&self, status: u16, code: ErrorCode) -> ErrorBody {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status} {}, body: {:?}",
            code.as_str(),
            self.text
        );
        let body: ErrorResponse = self.parse();
        assert_eq!(body.error.code, code, "error body: {:?}", self.text);
        body.error
    }
}

impl Api {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:4000`, no trailing slash).
    pub fn new(base: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(crate::WAIT)
            .build()
            .expect("reqwest client");
        Self {
            http,
            base: base.into(),
        }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `base + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request to build by hand (no token, no body); send it with [`Api::send`].
    pub fn raw(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// A request carrying `Authorization: Bearer <token>`.
    pub fn authed(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.raw(method, path).bearer_auth(token)
    }

    /// Sends a request and reads the whole reply.
    pub async fn send(&self, request: RequestBuilder) -> Reply {
        let response = request.send().await.expect("HTTP request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("HTTP body");
        Reply {
            status,
            headers,
            text,
        }
    }

    /// `GET path` with a bearer token.
    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(self.authed(Method::GET, path, token)).await
    }

    /// `POST path` with a bearer token and `body` as JSON.
    pub async fn post_json(&self, path: &str, token: &str, body: &impl Serialize) -> Reply {
        self.send(self.authed(Method::POST, path, token).json(body))
            .await
    }

    /// `POST path` with a bearer token and a raw JSON-typed body (need not be valid JSON).
    pub async fn post_raw(&self, path: &str, token: &str, body: impl Into<reqwest::Body>) -> Reply {
        let request = self
            .authed(Method::POST, path, token)
            .header("content-type", "application/json")
            .body(body);
        self.send(request).await
    }

    /// `POST path` with a bearer token and no body.
    pub async fn post(&self, path: &str, token: &str) -> Reply {
        self.send(self.authed(Method::POST, path, token)).await
    }

    /// `DELETE path` with a bearer token.
    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.send(self.authed(Method::DELETE, path, token)).await
    }

    /// `POST /notifications` (expects 201).
    pub async fn create(&self, service_token: &str, body: &CreateNotification) -> Notification {
        self.post_json("/notifications", service_token, body)
            .await
            .expect(201)
            .parse()
    }

    /// Publishes a notification with just a user and a title (expects 201).
    pub async fn publish(&self, service_token: &str, user: &str, title: &str) -> Notification {
        self.create(service_token, &new_notification(user, title))
            .await
    }

    /// Publishes `count` notifications for `user` one after another, each with a `data`
    /// object padded to about `pad_bytes` (to fill buffers quickly); returns their ids in
    /// publishing order.
    pub async fn publish_many(
        &self,
        service_token: &str,
        user: &str,
        count: usize,
        pad_bytes: usize,
    ) -> Vec<String> {
        let pad = "x".repeat(pad_bytes);
        let mut ids = Vec::with_capacity(count);
        for i in 0..count {
            let body = serde_json::json!({
                "userId": user,
                "title": format!("n{i}"),
                "data": {"pad": pad},
            });
            let created: Notification = self
                .post_json("/notifications", service_token, &body)
                .await
                .expect(201)
                .parse();
            ids.push(created.id);
        }
        ids
    }

    /// `GET /notifications?<query>` (expects 200). `query` may be empty.
    pub async fn list(&self, token: &str, query: &str) -> Page {
        let path = if query.is_empty() {
            "/notifications".to_owned()
        } else {
            format!("/notifications?{query}")
        };
        self.get(&path, token).await.expect(200).parse()
    }

    /// Every notification of the token's user, newest first, following `nextCursor`.
    pub async fn list_all(&self, token: &str) -> Vec<Notification> {
        let mut all = Vec::new();
        let mut query = "limit=100".to_owned();
        loop {
            let page = self.list(token, &query).await;
            all.extend(page.items);
            match page.next_cursor {
                Some(cursor) => query = format!("limit=100&before={cursor}"),
                None => return all,
            }
        }
    }

    /// `GET /notifications/unread-count` (expects 200).
    pub async fn unread_count(&self, token: &str) -> u64 {
        let count: UnreadCount = self
            .get("/notifications/unread-count", token)
            .await
            .expect(200)
            .parse();
        count.count
    }

    /// `POST /notifications/{id}/read` (expects 200).
    pub async fn mark_read(&self, token: &str, id: &str) -> Notification {
        self.post(&format!("/notifications/{id}/read"), token)
            .await
            .expect(200)
            .parse()
    }

    /// `POST /notifications/read-all` (expects 200), returning `updated`.
    pub async fn read_all(&self, token: &str) -> u64 {
        let updated: Updated = self
            .post("/notifications/read-all", token)
            .await
            .expect(200)
            .parse();
        updated.updated
    }

    /// `DELETE /notifications/{id}` (expects 204).
    pub async fn delete_notification(&self, token: &str, id: &str) {
        self.delete(&format!("/notifications/{id}"), token)
            .await
            .expect(204);
    }

    /// `GET /metrics` (expects 200), the Prometheus text.
    pub async fn metrics(&self) -> String {
        self.send(self.raw(Method::GET, "/metrics"))
            .await
            .expect(200)
            .text
    }
}

/// A create body with only the required fields.
pub fn new_notification(user: &str, title: &str) -> CreateNotification {
    CreateNotification {
        user_id: user.to_owned(),
        title: title.to_owned(),
        message: None,
        kind: None,
        data: None,
    }
}

/// The value of an unlabelled Prometheus sample `name` (or the sum over its label sets),
/// or `None` when the metric isn't in `text`.
pub fn metric_value(text: &str, name: &str) -> Option<f64> {
    let mut found = None;
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let value = if let Some(labelled) = rest.strip_prefix('{') {
            labelled.split_once('}').map(|(_, v)| v)
        } else if rest.starts_with(' ') {
            Some(rest)
        } else {
            None // a longer name with this prefix
        };
        if let Some(value) = value.and_then(|v| v.split_whitespace().next()) {
            let value: f64 = value.parse().expect("numeric sample");
            *found.get_or_insert(0.0) += value;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::metric_value;

    #[test]
    fn reads_prometheus_samples() {
        let text = "# HELP notify_sockets Live sockets\n# TYPE notify_sockets gauge\n\
                    notify_sockets 3\nnotify_sockets_total 9\n\
                    notify_delivered_total{transport=\"sse\"} 2\n\
                    notify_delivered_total{transport=\"socket\"} 5\n";
        assert_eq!(metric_value(text, "notify_sockets"), Some(3.0));
        assert_eq!(metric_value(text, "notify_delivered_total"), Some(7.0));
        assert_eq!(metric_value(text, "notify_missing"), None);
    }
}
