//! The server's socket-event validation: any event name and payload text is answered (a
//! decoded request or a failed ack), never a panic; the payload size is bounded by the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &str)| {
    let (name, payload) = input;
    // The events the server knows, and whatever name the input brings.
    for event in [
        "subscribe_notifications",
        "mark_read",
        "mark_unread",
        "archive",
        "unarchive",
        "mark_all_read",
        "mark_seen",
        "mark_all_seen",
        "list_notifications",
        name,
    ] {
        notify_server::fuzzing::socket_event(event, payload);
    }
});
