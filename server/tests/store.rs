//! The store failing under the server: another process holds the SQLite write lock.

use notify_testkit::TestServer;
use notify_testkit::bindings::ErrorCode;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

#[tokio::test]
async fn a_locked_database_answers_503_unavailable_then_recovers() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let before = server.api().publish(&service, "locked", "before").await;

    // Another process (here: this test) takes SQLite's write lock and keeps it.
    let intruder = rusqlite::Connection::open(server.db_path()).expect("open the db");
    intruder
        .execute_batch("BEGIN EXCLUSIVE;")
        .expect("take the write lock");

    let body = json!({"userId": "locked", "title": "during"});
    server
        .api()
        .post_json("/notifications", &service, &body)
        .await
        .expect_error(503, ErrorCode::Unavailable);
    // Reads still work in WAL mode.
    let token = server.user_token("locked");
    assert_eq!(server.api().list_all(&token).await, vec![before]);

    intruder.execute_batch("COMMIT;").expect("release the lock");
    drop(intruder);
    server.api().publish(&service, "locked", "after").await;
    assert_eq!(server.api().list_all(&token).await.len(), 2);
}
