//! The server's REST body validation (`POST /notifications`): any bytes are accepted or
//! answered with the contract's error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    notify_server::fuzzing::rest_body(body);
});
