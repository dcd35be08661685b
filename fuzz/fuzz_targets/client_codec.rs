//! The client core's Engine.IO / Socket.IO codec: any frame decodes to a packet or an error,
//! never a panic; what it encodes decodes back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use notify_client_wasm::core::codec;

fuzz_target!(|frame: &str| {
    if let Ok(codec::EnginePacket::Message(text)) = codec::decode_engine(frame) {
        let _ = codec::decode_socket(text);
    }
    let _ = codec::decode_socket(frame);
    let _ = codec::pong(frame);
    // An event the client writes is one the codec reads back.
    let array = serde_json::json!([frame]).to_string();
    let written = codec::event("/notifications", Some(7), &array);
    let Ok(codec::EnginePacket::Message(text)) = codec::decode_engine(&written) else {
        panic!("own event is not an Engine.IO message: {written:?}");
    };
    let packet = codec::decode_socket(text).expect("own event decodes");
    assert_eq!((packet.namespace, packet.ack), ("/notifications", Some(7)));
});
