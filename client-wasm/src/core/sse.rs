//! An incremental `text/event-stream` parser (the WHATWG "event stream interpretation").
//!
//! The browser glue reads the SSE response with `fetch` (so the token travels in the
//! `Authorization` header, not the URL) and feeds decoded text chunks here as they arrive; a
//! chunk may end anywhere, even between `\r` and `\n`.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `id:` of this event, when it carried one.
    pub id: Option<String>,
    /// `event:` name; `message` when absent.
    pub event: String,
    /// The `data:` lines joined by `\n`.
    pub data: String,
}

/// Parser state between chunks.
#[derive(Debug, Default, Clone)]
pub struct SseParser {
    line: String,
    after_cr: bool,
    data: String,
    has_data: bool,
    event: String,
    id: Option<String>,
}

impl SseParser {
    /// Feeds a chunk; returns the events it completed.
    pub fn feed(&mut self, chunk: &str) -> Vec<SseEvent> {
        let mut out = Vec::new();
        for c in chunk.chars() {
            match c {
                '\n' if self.after_cr => self.after_cr = false,
                '\r' | '\n' => {
                    self.after_cr = c == '\r';
                    let line = core::mem::take(&mut self.line);
                    if let Some(event) = self.line_done(&line) {
                        out.push(event);
                    }
                }
                c => {
                    self.after_cr = false;
                    self.line.push(c);
                }
            }
        }
        out
    }

    fn line_done(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.find(':') {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (line, ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => value.clone_into(&mut self.event),
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let id = self.id.take();
        let event = core::mem::take(&mut self.event);
        if !core::mem::take(&mut self.has_data) {
            return None;
        }
        Some(SseEvent {
            id,
            event: if event.is_empty() {
                "message".to_owned()
            } else {
                event
            },
            data: core::mem::take(&mut self.data),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            id: id.map(str::to_owned),
            event: "message".into(),
            data: data.into(),
        }
    }

    #[test]
    fn parses_events_with_ids_and_comments() {
        let mut p = SseParser::default();
        let out =
            p.feed(": ping\n\ndata: {\"type\":\"unread_count\"}\n\nid: 01J\ndata: {\"a\":1}\n\n");
        assert_eq!(
            out,
            [
                ev(None, "{\"type\":\"unread_count\"}"),
                ev(Some("01J"), "{\"a\":1}")
            ]
        );
    }

    #[test]
    fn chunks_may_split_anywhere() {
        let text = "id: 7\r\ndata: one\r\ndata: two\r\n\r\ndata:x\r\r";
        let whole = SseParser::default().feed(text);
        assert_eq!(whole, [ev(Some("7"), "one\ntwo"), ev(None, "x")]);
        for split in 0..text.len() {
            let mut p = SseParser::default();
            let mut out = p.feed(&text[..split]);
            out.extend(p.feed(&text[split..]));
            assert_eq!(out, whole, "split at {split}");
        }
        let mut p = SseParser::default();
        let out: Vec<_> = text
            .chars()
            .flat_map(|c| p.feed(c.encode_utf8(&mut [0; 4])))
            .collect();
        assert_eq!(out, whole);
    }

    #[test]
    fn named_events_and_field_edge_cases() {
        let mut p = SseParser::default();
        let out = p.feed("event: resync\ndata\nretry: 5\nbogus\n\nevent: x\n\n");
        assert_eq!(
            out,
            [SseEvent {
                id: None,
                event: "resync".into(),
                data: "".into()
            }]
        );
        // An event without data is not dispatched, and its name doesn't leak into the next one.
        assert_eq!(p.feed("data: y\n\n"), [ev(None, "y")]);
    }

    #[test]
    fn an_unfinished_event_waits_for_its_blank_line() {
        let mut p = SseParser::default();
        assert!(p.feed("data: partial\n").is_empty());
        assert_eq!(p.feed("\n"), [ev(None, "partial")]);
    }
}
