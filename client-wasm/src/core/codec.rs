//! Engine.IO v4 and Socket.IO v5 packet codec, for a WebSocket-only client.
//!
//! Over a WebSocket every text frame carries exactly one Engine.IO packet: a type digit and an
//! optional payload (`0{...}` open, `2` ping, `3` pong, `4<socket.io packet>` message, ...).
//! A Socket.IO packet is `<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]`.
//!
//! Decoding borrows slices of the frame and never parses the JSON itself: the caller hands the
//! JSON text to whatever parser it has (`JSON.parse` in the browser), which keeps this module
//! free of serde and small in WebAssembly.

/// Why a frame could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The frame or packet was empty.
    Empty,
    /// The type digit is not one the protocol defines.
    UnknownType,
    /// Binary attachments (`5`/`6` packets) are not used by this contract.
    Binary,
    /// A namespace started with `/` but the packet ended inside it without data.
    BadNamespace,
    /// The acknowledgement id does not fit in a `u64`.
    BadAckId,
    /// The JSON part does not start like JSON (`{`, `[` or a literal).
    BadPayload,
}

/// One Engine.IO v4 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnginePacket<'a> {
    /// `0` + handshake JSON (`sid`, `pingInterval`, `pingTimeout`, ...).
    Open(&'a str),
    Close,
    Ping(&'a str),
    Pong(&'a str),
    /// `4` + a Socket.IO packet.
    Message(&'a str),
    Upgrade,
    Noop,
}

/// Decodes one WebSocket text frame.
pub fn decode_engine(frame: &str) -> Result<EnginePacket<'_>, DecodeError> {
    // The type is one ASCII digit (`get` leaves the rest empty after any other first char).
    let kind = *frame.as_bytes().first().ok_or(DecodeError::Empty)?;
    let rest = frame.get(1..).unwrap_or_default();
    Ok(match kind {
        b'0' => EnginePacket::Open(rest),
        b'1' => EnginePacket::Close,
        b'2' => EnginePacket::Ping(rest),
        b'3' => EnginePacket::Pong(rest),
        b'4' => EnginePacket::Message(rest),
        b'5' => EnginePacket::Upgrade,
        b'6' => EnginePacket::Noop,
        _ => return Err(DecodeError::UnknownType),
    })
}

/// Socket.IO v5 packet types this client handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketKind {
    Connect,
    Disconnect,
    Event,
    Ack,
    ConnectError,
}

/// One decoded Socket.IO packet; `data` is the raw JSON text (possibly empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketPacket<'a> {
    pub kind: SocketKind,
    pub namespace: &'a str,
    pub ack: Option<u64>,
    pub data: &'a str,
}

/// Decodes the Socket.IO packet inside an Engine.IO message.
pub fn decode_socket(text: &str) -> Result<SocketPacket<'_>, DecodeError> {
    let bytes = text.as_bytes();
    let kind = match bytes.first().ok_or(DecodeError::Empty)? {
        b'0' => SocketKind::Connect,
        b'1' => SocketKind::Disconnect,
        b'2' => SocketKind::Event,
        b'3' => SocketKind::Ack,
        b'4' => SocketKind::ConnectError,
        b'5' | b'6' => return Err(DecodeError::Binary),
        _ => return Err(DecodeError::UnknownType),
    };
    let mut rest = &text[1..];
    let mut namespace = "/";
    // String patterns here and in `config`/`filter`: a `char` one is UTF-8 encoded at run time
    // (an encoder in the wasm).
    if rest.starts_with("/") {
        // Byte searches (the text is ASCII here): no char-pattern search code in the module.
        match rest.bytes().position(|b| b == b',') {
            Some(comma) => {
                namespace = &rest[..comma];
                rest = &rest[comma + 1..];
            }
            None => {
                // `41/notifications` without a trailing comma: a namespace and nothing else.
                if rest.bytes().any(|b| matches!(b, b'{' | b'[' | b'"')) {
                    return Err(DecodeError::BadNamespace);
                }
                namespace = rest;
                rest = "";
            }
        }
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let ack = if digits == 0 {
        None
    } else {
        Some(parse_u64(&rest[..digits]).ok_or(DecodeError::BadAckId)?)
    };
    let data = &rest[digits..];
    if let Some(first) = data.bytes().next()
        && !matches!(
            first,
            b'{' | b'[' | b'"' | b't' | b'f' | b'n' | b'-' | b'0'..=b'9'
        )
    {
        return Err(DecodeError::BadPayload);
    }
    Ok(SocketPacket {
        kind,
        namespace,
        ack,
        data,
    })
}

fn parse_u64(digits: &str) -> Option<u64> {
    digits.bytes().try_fold(0u64, |n, d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// The Engine.IO pong that answers a ping (echoing its payload, as the protocol asks).
pub fn pong(ping_payload: &str) -> String {
    let mut out = String::new();
    out.push('3');
    out.push_str(ping_payload);
    out
}

/// `40<namespace>,<auth JSON>`: join a namespace with an auth payload.
pub fn connect(namespace: &str, auth_json: &str) -> String {
    let mut out = String::new();
    out.push_str("40");
    push_namespace(&mut out, namespace);
    out.push_str(auth_json);
    out
}

/// `42<namespace>,<ack id><JSON array>`: an event (`["name", payload]`), optionally asking for an ack.
pub fn event(namespace: &str, ack: Option<u64>, array_json: &str) -> String {
    let mut out = String::new();
    out.push_str("42");
    push_namespace(&mut out, namespace);
    if let Some(id) = ack {
        crate::core::json::push_u64(&mut out, id);
    }
    out.push_str(array_json);
    out
}

fn push_namespace(out: &mut String, namespace: &str) {
    if namespace != "/" {
        out.push_str(namespace);
        out.push(',');
    }
}

/// The query string of the WebSocket handshake URL (Engine.IO v4, WebSocket transport).
pub const WEBSOCKET_QUERY: &str = "?EIO=4&transport=websocket";

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = "/notifications";

    #[test]
    fn engine_packets_decode() {
        assert_eq!(
            decode_engine(r#"0{"sid":"a","pingInterval":25000}"#),
            Ok(EnginePacket::Open(r#"{"sid":"a","pingInterval":25000}"#))
        );
        assert_eq!(decode_engine("1"), Ok(EnginePacket::Close));
        assert_eq!(decode_engine("2"), Ok(EnginePacket::Ping("")));
        assert_eq!(decode_engine("2probe"), Ok(EnginePacket::Ping("probe")));
        assert_eq!(decode_engine("3"), Ok(EnginePacket::Pong("")));
        assert_eq!(decode_engine("40"), Ok(EnginePacket::Message("0")));
        assert_eq!(decode_engine("5"), Ok(EnginePacket::Upgrade));
        assert_eq!(decode_engine("6"), Ok(EnginePacket::Noop));
    }

    #[test]
    fn malformed_engine_frames_are_errors() {
        assert_eq!(decode_engine(""), Err(DecodeError::Empty));
        assert_eq!(decode_engine("7"), Err(DecodeError::UnknownType));
        assert_eq!(decode_engine("x42"), Err(DecodeError::UnknownType));
        assert_eq!(decode_engine("é"), Err(DecodeError::UnknownType));
    }

    #[test]
    fn socket_packets_decode_with_namespace_and_ack() {
        let p = decode_socket(r#"0/notifications,{"sid":"x"}"#).unwrap();
        assert_eq!(
            p,
            SocketPacket {
                kind: SocketKind::Connect,
                namespace: NS,
                ack: None,
                data: r#"{"sid":"x"}"#
            }
        );
        let p = decode_socket(r#"3/notifications,12[{"success":true}]"#).unwrap();
        assert_eq!(p.kind, SocketKind::Ack);
        assert_eq!(p.ack, Some(12));
        assert_eq!(p.data, r#"[{"success":true}]"#);
        let p = decode_socket(r#"2["hello",1]"#).unwrap();
        assert_eq!((p.kind, p.namespace, p.ack), (SocketKind::Event, "/", None));
        let p = decode_socket(r#"4/notifications,{"message":"unauthorized"}"#).unwrap();
        assert_eq!(p.kind, SocketKind::ConnectError);
    }

    #[test]
    fn disconnect_with_and_without_trailing_comma() {
        for text in ["1/notifications,", "1/notifications"] {
            let p = decode_socket(text).unwrap();
            assert_eq!(
                (p.kind, p.namespace, p.data),
                (SocketKind::Disconnect, NS, "")
            );
        }
        assert_eq!(decode_socket("1").unwrap().namespace, "/");
    }

    #[test]
    fn malformed_socket_packets_are_errors() {
        assert_eq!(decode_socket(""), Err(DecodeError::Empty));
        assert_eq!(decode_socket("9"), Err(DecodeError::UnknownType));
        assert_eq!(
            decode_socket(r#"51-["x",{"_placeholder":true}]"#),
            Err(DecodeError::Binary)
        );
        assert_eq!(
            decode_socket(r#"2/notifications["x"]"#),
            Err(DecodeError::BadNamespace)
        );
        assert_eq!(
            decode_socket(r#"3/notifications,99999999999999999999999[1]"#),
            Err(DecodeError::BadAckId)
        );
        assert_eq!(
            decode_socket("2/notifications,12]"),
            Err(DecodeError::BadPayload)
        );
    }

    #[test]
    fn encoded_packets_decode_back() {
        let c = connect(NS, r#"{"token":"t"}"#);
        assert_eq!(c, r#"40/notifications,{"token":"t"}"#);
        let EnginePacket::Message(inner) = decode_engine(&c).unwrap() else {
            panic!("not a message")
        };
        let p = decode_socket(inner).unwrap();
        assert_eq!(
            (p.kind, p.namespace, p.data),
            (SocketKind::Connect, NS, r#"{"token":"t"}"#)
        );

        for ack in [None, Some(0), Some(7), Some(u64::MAX)] {
            let e = event(NS, ack, r#"["mark_read",{"id":"1"}]"#);
            let EnginePacket::Message(inner) = decode_engine(&e).unwrap() else {
                panic!("not a message")
            };
            let p = decode_socket(inner).unwrap();
            assert_eq!(p.kind, SocketKind::Event);
            assert_eq!(p.ack, ack);
            assert_eq!(p.data, r#"["mark_read",{"id":"1"}]"#);
        }
        assert_eq!(event("/", Some(3), "[]"), "423[]");
        assert_eq!(pong(""), "3");
        assert_eq!(pong("probe"), "3probe");
    }

    #[test]
    fn payloads_built_by_serde_decode_to_the_same_json() {
        // A frame built from the shared wire types, the way the server sends it.
        let envelope = notify_bindings::ServerEvent::UnreadCount(notify_bindings::UnreadCount {
            count: 4,
            unseen: 4,
        });
        let array = serde_json::json!([envelope.name(), envelope]).to_string();
        let frame = event(NS, None, &array);
        let EnginePacket::Message(inner) = decode_engine(&frame).unwrap() else {
            panic!("not a message")
        };
        let p = decode_socket(inner).unwrap();
        let back: serde_json::Value = serde_json::from_str(p.data).unwrap();
        assert_eq!(back[0], "unread_count");
        assert_eq!(back[1]["data"]["count"], 4);
    }
}
