//! Generates the TypeScript definitions of the wire types and fails when the checked-in
//! `typescript/index.d.ts` is stale. Regenerate with `UPDATE_BINDINGS=1 cargo test -p notify-bindings`.

use notify_bindings::*;
use ts_rs::{Config, TS};

fn declarations() -> String {
    let cfg = Config::default();
    let decls = [
        Notification::decl(&cfg),
        UnreadCount::decl(&cfg),
        Counts::decl(&cfg),
        SeenRequest::decl(&cfg),
        NotificationId::decl(&cfg),
        AllRead::decl(&cfg),
        AllSeen::decl(&cfg),
        Empty::decl(&cfg),
        ServerEvent::decl(&cfg),
        Envelope::decl(&cfg),
        CreateNotification::decl(&cfg),
        Page::decl(&cfg),
        ListRequest::decl(&cfg),
        SubscribeRequest::decl(&cfg),
        SubscribeResult::decl(&cfg),
        RefreshToken::decl(&cfg),
        TokenRefreshed::decl(&cfg),
        Updated::decl(&cfg),
        ErrorCode::decl(&cfg),
        ErrorBody::decl(&cfg),
        ErrorResponse::decl(&cfg),
        Ack::<()>::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from bindings/src/lib.rs by bindings/tests/typescript.rs. Do not edit by hand:\n\
         // run `UPDATE_BINDINGS=1 cargo test -p notify-bindings` after changing the Rust types.\n\n",
    );
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[test]
fn checked_in_typescript_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("typescript/index.d.ts");
    let generated = declarations();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{} is stale: run `UPDATE_BINDINGS=1 cargo test -p notify-bindings` and commit it",
        path.display()
    );
}
