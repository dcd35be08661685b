//! The client core's SSE parser: any stream, cut into chunks anywhere, never panics, and
//! gives the same events as the whole stream at once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use notify_client_wasm::core::sse::SseParser;

fuzz_target!(|input: (&str, u8)| {
    let (stream, step) = input;
    let whole = SseParser::default().feed(stream);
    let mut chunked = SseParser::default();
    let mut events = Vec::new();
    let mut rest = stream;
    let step = usize::from(step.max(1));
    while !rest.is_empty() {
        let mut cut = step.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (chunk, tail) = rest.split_at(cut);
        events.extend(chunked.feed(chunk));
        rest = tail;
    }
    assert_eq!(whole, events);
});
