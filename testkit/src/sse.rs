//! A Server-Sent Events client over a streaming HTTP response.
//!
//! [`SseClient::open`] sends any request (so a test chooses how the token travels:
//! `Authorization` header or `?access_token=`, and whether to send `Last-Event-ID`) and, on a
//! 200, parses the body as an event stream: `id:`, `event:`, `data:` fields, comment lines
//! (`: ping`) and blank-line dispatch.

use crate::rest::Reply;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use notify_bindings::{Envelope, ServerEvent};
use reqwest::RequestBuilder;
use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

/// One dispatched SSE message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseMessage {
    /// The `id:` field of this message, if it had one.
    pub id: Option<String>,
    /// The `event:` field, if any (the contract's messages are unnamed).
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// What a stream yields: a message or a comment line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    Message(SseMessage),
    /// A comment line's text without the leading `:` and one space (e.g. `ping`).
    Comment(String),
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// An open event stream.
pub struct SseClient {
    /// Status and headers of the response (always 200 here).
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    body: ByteStream,
    buffer: Vec<u8>,
    ready: VecDeque<SseItem>,
    id: Option<String>,
    event: Option<String>,
    data: Vec<String>,
    ended: bool,
}

impl SseClient {
    /// Sends `request`; a 200 response becomes a stream, anything else is returned as `Err`.
    ///
    /// The request should not have a total timeout (the stream outlives it): build it from
    /// [`SseClient::http`] or [`crate::TestServer::sse_request`].
    pub async fn open(request: RequestBuilder) -> Result<Self, Reply> {
        let response = crate::within("the SSE response headers", request.send())
            .await
            .expect("SSE request");
        let status = response.status();
        let headers = response.headers().clone();
        if status != reqwest::StatusCode::OK {
            let text = response.text().await.unwrap_or_default();
            return Err(Reply {
                status,
                headers,
                text,
            });
        }
        Ok(Self {
            status,
            headers,
            body: Box::pin(response.bytes_stream()),
            buffer: Vec::new(),
            ready: VecDeque::new(),
            id: None,
            event: None,
            data: Vec::new(),
            ended: false,
        })
    }

    /// An HTTP client without a total timeout, suitable for streams.
    pub fn http() -> reqwest::Client {
        reqwest::Client::builder()
            .connect_timeout(crate::WAIT)
            .build()
            .expect("reqwest client")
    }

    /// The next item, or `None` once the server ended the stream. Panics after `limit`.
    pub async fn next_item_within(&mut self, limit: Duration) -> Option<SseItem> {
        crate::within_for(limit, "the next SSE item", self.read_item()).await
    }

    /// The next item, or `None` once the server ended the stream. Panics after [`crate::WAIT`].
    pub async fn next_item(&mut self) -> Option<SseItem> {
        self.next_item_within(crate::WAIT).await
    }

    /// The next message, skipping comments; `None` once the stream ended.
    pub async fn next_message(&mut self) -> Option<SseMessage> {
        crate::within("the next SSE message", async {
            loop {
                match self.read_item().await? {
                    SseItem::Message(message) => return Some(message),
                    SseItem::Comment(_) => continue,
                }
            }
        })
        .await
    }

    /// The next message parsed as an envelope, with its `id:`. Panics if the stream ends or a
    /// message isn't a contract envelope.
    pub async fn next_event(&mut self) -> (Option<String>, ServerEvent) {
        let (id, envelope) = self.next_envelope().await;
        (id, envelope.event)
    }

    /// Like [`SseClient::next_event`], with the envelope's `seq`.
    pub async fn next_envelope(&mut self) -> (Option<String>, Envelope) {
        let message = self
            .next_message()
            .await
            .expect("SSE stream ended while an event was expected");
        let envelope = serde_json::from_str(&message.data)
            .unwrap_or_else(|e| panic!("SSE data is not an envelope ({e}): {:?}", message.data));
        (message.id, envelope)
    }

    /// Reads until the server ends the stream (panics after [`crate::WAIT`]); returns what
    /// came before the end.
    pub async fn expect_end(&mut self) -> Vec<SseItem> {
        crate::within("the SSE stream to end", async {
            let mut rest = Vec::new();
            while let Some(item) = self.read_item().await {
                rest.push(item);
            }
            rest
        })
        .await
    }

    async fn read_item(&mut self) -> Option<SseItem> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.ended {
                return None;
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.feed(&chunk),
                // A reset connection ends the stream just like a clean end.
                Some(Err(_)) | None => self.ended = true,
            }
        }
    }

    /// Splits `chunk` into lines and applies the event-stream rules to each complete one.
    fn feed(&mut self, chunk: &[u8]) {
        self.buffer.extend_from_slice(chunk);
        while let Some(newline) = self.buffer.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = self.buffer.drain(..=newline).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line).into_owned();
            self.line(&line);
        }
    }

    fn line(&mut self, line: &str) {
        if line.is_empty() {
            if !self.data.is_empty() {
                self.ready.push_back(SseItem::Message(SseMessage {
                    id: self.id.take(),
                    event: self.event.take(),
                    data: std::mem::take(&mut self.data).join("\n"),
                }));
            }
            self.id = None;
            self.event = None;
            return;
        }
        if let Some(comment) = line.strip_prefix(':') {
            let comment = comment.strip_prefix(' ').unwrap_or(comment);
            self.ready.push_back(SseItem::Comment(comment.to_owned()));
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "id" => self.id = Some(value.to_owned()),
            "event" => self.event = Some(value.to_owned()),
            "data" => self.data.push(value.to_owned()),
            _ => {} // `retry` and unknown fields
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser() -> SseClient {
        SseClient {
            status: reqwest::StatusCode::OK,
            headers: Default::default(),
            body: Box::pin(futures_util::stream::empty()),
            buffer: Vec::new(),
            ready: VecDeque::new(),
            id: None,
            event: None,
            data: Vec::new(),
            ended: false,
        }
    }

    #[test]
    fn parses_ids_data_and_comments_across_chunks() {
        let mut sse = parser();
        sse.feed(b": ping\n\nid: 01A\r\nda");
        sse.feed(b"ta: {\"a\":1}\ndata:second\n\nretry: 5\ndata: x\n\n");
        let items: Vec<_> = sse.ready.drain(..).collect();
        assert_eq!(
            items,
            vec![
                SseItem::Comment("ping".into()),
                SseItem::Message(SseMessage {
                    id: Some("01A".into()),
                    event: None,
                    data: "{\"a\":1}\nsecond".into()
                }),
                SseItem::Message(SseMessage {
                    id: None,
                    event: None,
                    data: "x".into()
                }),
            ]
        );
    }
}
