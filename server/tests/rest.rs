//! REST routes against the real server: happy paths, paging, validation and error bodies.

use notify_testkit::TestServer;
use notify_testkit::bindings::{CreateNotification, ErrorCode, Notification};
use notify_testkit::reqwest::{self, Method};
use notify_testkit::rest::new_notification;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

/// `2026-11-25T17:00:00.000Z`: RFC 3339, UTC, milliseconds.
fn assert_timestamp(value: &str) {
    let bytes = value.as_bytes();
    let shape_ok = bytes.len() == 24
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T',
            13 | 16 => *b == b':',
            19 => *b == b'.',
            23 => *b == b'Z',
            _ => b.is_ascii_digit(),
        });
    assert!(
        shape_ok,
        "not an RFC 3339 UTC millisecond timestamp: {value:?}"
    );
}

#[tokio::test]
async fn health_and_readiness_need_no_token() {
    let server = TestServer::start(BIN).await;
    for path in ["/healthz", "/readyz"] {
        let reply = server.api().send(server.api().raw(Method::GET, path)).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    }
}

#[tokio::test]
async fn publish_stores_and_returns_the_notification() {
    let server = TestServer::start(BIN).await;
    let body = CreateNotification {
        user_id: "42".into(),
        title: "Payment received".into(),
        message: Some("You got $20".into()),
        kind: Some("payment.received".into()),
        data: json!({"amount": 20, "nested": {"currency": "USD"}})
            .as_object()
            .cloned(),
    };
    let reply = server
        .api()
        .post_json("/notifications", &server.service_token(), &body)
        .await
        .expect(201);
    let raw = reply.json();
    // Field names on the wire, not just through the shared types.
    for field in [
        "id",
        "userId",
        "type",
        "title",
        "message",
        "data",
        "isRead",
        "createdAt",
        "readAt",
    ] {
        assert!(raw.get(field).is_some(), "missing {field} in {raw}");
    }
    let created: Notification = reply.parse();
    assert_eq!(created.user_id, "42");
    assert_eq!(created.kind, "payment.received");
    assert_eq!(created.title, "Payment received");
    assert_eq!(created.message, "You got $20");
    assert_eq!(created.data, body.data);
    assert!(!created.is_read);
    assert_eq!(created.read_at, None);
    assert!(!created.id.is_empty());
    assert_timestamp(&created.created_at);

    let page = server.api().list(&server.user_token("42"), "").await;
    assert_eq!(page.items, vec![created]);
    assert_eq!(page.next_cursor, None);
}

#[tokio::test]
async fn publish_defaults_type_message_and_data() {
    let server = TestServer::start(BIN).await;
    let created = server
        .api()
        .publish(&server.service_token(), "u1", "Hi")
        .await;
    assert_eq!(created.kind, "info");
    assert_eq!(created.message, "");
    assert_eq!(created.data, None);

    let explicit_null = server
        .api()
        .post_json(
            "/notifications",
            &server.service_token(),
            &json!({"userId": "u1", "title": "Hi", "data": null}),
        )
        .await
        .expect(201);
    assert_eq!(explicit_null.json()["data"], Value::Null);
}

#[tokio::test]
async fn list_is_newest_first_and_pages_with_next_cursor() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let mut ids = Vec::new();
    for i in 0..5 {
        let created = server
            .api()
            .publish(&service, "pager", &format!("n{i}"))
            .await;
        ids.push(created.id);
    }
    // Ids are time-ordered: a later notification compares greater.
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids not increasing: {ids:?}"
    );

    let token = server.user_token("pager");
    let first = server.api().list(&token, "limit=2").await;
    let first_ids: Vec<_> = first.items.iter().map(|n| n.id.clone()).collect();
    assert_eq!(first_ids, vec![ids[4].clone(), ids[3].clone()]);
    let cursor = first.next_cursor.expect("more pages after the first");

    let second = server
        .api()
        .list(&token, &format!("limit=2&before={cursor}"))
        .await;
    let second_ids: Vec<_> = second.items.iter().map(|n| n.id.clone()).collect();
    assert_eq!(second_ids, vec![ids[2].clone(), ids[1].clone()]);
    let cursor = second.next_cursor.expect("a third page");

    let third = server
        .api()
        .list(&token, &format!("limit=2&before={cursor}"))
        .await;
    let third_ids: Vec<_> = third.items.iter().map(|n| n.id.clone()).collect();
    assert_eq!(third_ids, vec![ids[0].clone()]);
    assert_eq!(third.next_cursor, None, "the end was reached");
}

#[tokio::test]
async fn the_unread_filter_pages_with_its_own_cursor() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let token = server.user_token("unread-pager");
    let mut created = Vec::new();
    for i in 0..6 {
        created.push(
            server
                .api()
                .publish(&service, "unread-pager", &format!("n{i}"))
                .await,
        );
    }
    // Read the newest and two in the middle: unread are n0, n1, n3.
    for i in [5, 4, 2] {
        server.api().mark_read(&token, &created[i].id).await;
    }
    let first = server.api().list(&token, "unread=true&limit=2").await;
    let ids: Vec<_> = first.items.iter().map(|n| n.id.clone()).collect();
    assert_eq!(ids, vec![created[3].id.clone(), created[1].id.clone()]);
    let cursor = first.next_cursor.expect("one more unread");
    let second = server
        .api()
        .list(&token, &format!("unread=true&limit=2&before={cursor}"))
        .await;
    assert_eq!(second.items, vec![created[0].clone()]);
    assert_eq!(second.next_cursor, None);
}

#[tokio::test]
async fn a_cursor_still_works_after_its_notification_is_deleted() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let token = server.user_token("shifting");
    let mut created = Vec::new();
    for i in 0..4 {
        created.push(
            server
                .api()
                .publish(&service, "shifting", &format!("n{i}"))
                .await,
        );
    }
    let first = server.api().list(&token, "limit=2").await;
    let cursor = first.next_cursor.expect("a second page");
    // The cursor's own notification goes away before the next page is fetched.
    server.api().delete_notification(&token, &cursor).await;
    let second = server
        .api()
        .list(&token, &format!("limit=2&before={cursor}"))
        .await;
    assert_eq!(second.items, vec![created[1].clone(), created[0].clone()]);
}

#[tokio::test]
async fn list_defaults_to_20_items() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    for i in 0..21 {
        server
            .api()
            .publish(&service, "many", &format!("n{i}"))
            .await;
    }
    let page = server.api().list(&server.user_token("many"), "").await;
    assert_eq!(page.items.len(), 20);
    assert!(page.next_cursor.is_some());
    let all = server.api().list_all(&server.user_token("many")).await;
    assert_eq!(all.len(), 21);
    // A page that ends exactly at the last notification has no next cursor.
    let exact = server
        .api()
        .list(&server.user_token("many"), "limit=21")
        .await;
    assert_eq!(exact.items.len(), 21);
    assert_eq!(exact.next_cursor, None);
}

#[tokio::test]
async fn unread_filter_returns_only_unread() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let token = server.user_token("filter");
    let a = server.api().publish(&service, "filter", "a").await;
    let b = server.api().publish(&service, "filter", "b").await;
    let c = server.api().publish(&service, "filter", "c").await;
    server.api().mark_read(&token, &b.id).await;

    let page = server.api().list(&token, "unread=true").await;
    let ids: Vec<_> = page.items.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, vec![c.id.as_str(), a.id.as_str()]);
    assert!(page.items.iter().all(|n| !n.is_read));

    let everything = server.api().list(&token, "unread=false").await;
    assert_eq!(everything.items.len(), 3);
}

#[tokio::test]
async fn limit_outside_1_to_100_is_422() {
    let server = TestServer::start(BIN).await;
    let token = server.user_token("limits");
    for limit in ["0", "101", "-1", "1000000", "abc"] {
        let reply = server
            .api()
            .get(&format!("/notifications?limit={limit}"), &token)
            .await;
        let error = reply.expect_error(422, ErrorCode::ValidationFailed);
        assert!(
            error.message.contains("limit"),
            "limit={limit}: message doesn't name the field: {}",
            error.message
        );
    }
    for limit in ["1", "100"] {
        server
            .api()
            .get(&format!("/notifications?limit={limit}"), &token)
            .await
            .expect(200);
    }
}

#[tokio::test]
async fn unread_count_follows_creates_reads_and_deletes() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let token = server.user_token("counter");
    assert_eq!(server.api().unread_count(&token).await, 0);
    let a = server.api().publish(&service, "counter", "a").await;
    let b = server.api().publish(&service, "counter", "b").await;
    server.api().publish(&service, "counter", "c").await;
    assert_eq!(server.api().unread_count(&token).await, 3);
    server.api().mark_read(&token, &a.id).await;
    assert_eq!(server.api().unread_count(&token).await, 2);
    server.api().delete_notification(&token, &b.id).await;
    assert_eq!(server.api().unread_count(&token).await, 1);
    server.api().read_all(&token).await;
    assert_eq!(server.api().unread_count(&token).await, 0);
}

#[tokio::test]
async fn mark_read_is_idempotent() {
    let server = TestServer::start(BIN).await;
    let token = server.user_token("reader");
    let created = server
        .api()
        .publish(&server.service_token(), "reader", "once")
        .await;
    let first = server.api().mark_read(&token, &created.id).await;
    assert!(first.is_read);
    let read_at = first.read_at.clone().expect("readAt set");
    assert_timestamp(&read_at);
    assert_eq!(first.id, created.id);
    assert_eq!(first.title, created.title);

    let second = server.api().mark_read(&token, &created.id).await;
    assert_eq!(second, first, "re-reading changes nothing");
}

#[tokio::test]
async fn read_all_marks_everything_and_counts_changes() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let token = server.user_token("bulk");
    let a = server.api().publish(&service, "bulk", "a").await;
    server.api().publish(&service, "bulk", "b").await;
    server.api().publish(&service, "bulk", "c").await;
    server.api().mark_read(&token, &a.id).await;
    let other = server.api().publish(&service, "bystander", "x").await;

    assert_eq!(server.api().read_all(&token).await, 2);
    assert_eq!(server.api().read_all(&token).await, 0);
    let items = server.api().list_all(&token).await;
    assert!(items.iter().all(|n| n.is_read && n.read_at.is_some()));

    // Someone else's notifications are untouched.
    let theirs = server.api().list_all(&server.user_token("bystander")).await;
    assert_eq!(theirs, vec![other]);
}

#[tokio::test]
async fn delete_removes_and_a_second_delete_is_404() {
    let server = TestServer::start(BIN).await;
    let token = server.user_token("deleter");
    let service = server.service_token();
    let keep = server.api().publish(&service, "deleter", "keep").await;
    let gone = server.api().publish(&service, "deleter", "gone").await;

    let reply = server
        .api()
        .delete(&format!("/notifications/{}", gone.id), &token)
        .await
        .expect(204);
    assert!(reply.text.is_empty(), "204 has no body: {:?}", reply.text);
    assert_eq!(server.api().list_all(&token).await, vec![keep]);

    server
        .api()
        .delete(&format!("/notifications/{}", gone.id), &token)
        .await
        .expect_error(404, ErrorCode::NotFound);
    server
        .api()
        .post(&format!("/notifications/{}/read", gone.id), &token)
        .await
        .expect_error(404, ErrorCode::NotFound);
}

#[tokio::test]
async fn unknown_ids_are_404() {
    let server = TestServer::start(BIN).await;
    let token = server.user_token("nobody");
    for id in ["does-not-exist", "01JZZZZZZZZZZZZZZZZZZZZZZZ", "0"] {
        server
            .api()
            .post(&format!("/notifications/{id}/read"), &token)
            .await
            .expect_error(404, ErrorCode::NotFound);
        server
            .api()
            .delete(&format!("/notifications/{id}"), &token)
            .await
            .expect_error(404, ErrorCode::NotFound);
    }
}

#[tokio::test]
async fn other_users_notifications_are_404_and_stay_untouched() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let alice = server.user_token("alice");
    let mallory = server.user_token("mallory");
    let secret = server.api().publish(&service, "alice", "secret").await;

    server
        .api()
        .post(&format!("/notifications/{}/read", secret.id), &mallory)
        .await
        .expect_error(404, ErrorCode::NotFound);
    server
        .api()
        .delete(&format!("/notifications/{}", secret.id), &mallory)
        .await
        .expect_error(404, ErrorCode::NotFound);
    assert_eq!(server.api().read_all(&mallory).await, 0);

    assert_eq!(server.api().list_all(&alice).await, vec![secret]);
    assert_eq!(server.api().unread_count(&alice).await, 1);
    assert!(server.api().list_all(&mallory).await.is_empty());
    assert_eq!(server.api().unread_count(&mallory).await, 0);
}

#[tokio::test]
async fn sql_metacharacters_are_stored_verbatim() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let nasty = [
        "'; DROP TABLE notifications; --",
        "\" OR \"1\"=\"1",
        "%",
        "_",
        "a' OR '1'='1",
        "back\\slash and ; semicolon -- /* comment */",
        "Robert'); DELETE FROM notifications WHERE ('1'='1",
    ];
    // A bystander whose rows an injection would touch.
    let bystander = server.api().publish(&service, "bystander", "safe").await;

    for (i, text) in nasty.iter().enumerate() {
        let user = format!("{text}-{i}");
        let body = CreateNotification {
            user_id: user.clone(),
            title: text.to_string(),
            message: Some(text.to_string()),
            kind: Some(text.to_string()),
            data: json!({ "k": text, *text: [text] }).as_object().cloned(),
        };
        let created = server.api().create(&service, &body).await;
        assert_eq!(created.user_id, user);
        assert_eq!(created.title, *text);
        assert_eq!(created.message, *text);
        assert_eq!(created.kind, *text);
        assert_eq!(created.data, body.data);

        let token = server.user_token(&user);
        assert_eq!(server.api().list_all(&token).await, vec![created.clone()]);
        assert_eq!(server.api().unread_count(&token).await, 1);
        // A cursor full of metacharacters is a bad cursor or an empty page, never a leak.
        let reply = server
            .api()
            .send(
                server
                    .api()
                    .authed(Method::GET, "/notifications", &token)
                    .query(&[("before", *text)]),
            )
            .await;
        assert!(
            reply.status.is_client_error() || reply.status == 200,
            "before={text:?}: {} {}",
            reply.status,
            reply.text
        );
        if reply.status == 200 {
            let page: notify_testkit::bindings::Page = reply.parse();
            assert!(page.items.iter().all(|n| n.user_id == user));
        }
    }
    // `%` and `_` users see only their own rows (no LIKE matching on user ids).
    assert_eq!(
        server.api().list_all(&server.user_token("%")).await,
        Vec::<Notification>::new()
    );
    assert_eq!(
        server.api().list_all(&server.user_token("bystander")).await,
        vec![bystander]
    );
}

#[tokio::test]
async fn lengths_count_unicode_characters() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let emoji_title = "😀".repeat(200); // 200 chars, 800 bytes
    let euro_message = "€".repeat(2000); // 2000 chars, 6000 bytes
    let mut body = new_notification("unicode", &emoji_title);
    body.message = Some(euro_message.clone());
    let created = server.api().create(&service, &body).await;
    assert_eq!(created.title, emoji_title);
    assert_eq!(created.message, euro_message);

    let too_long_title = new_notification("unicode", &"😀".repeat(201));
    let error = server
        .api()
        .post_json("/notifications", &service, &too_long_title)
        .await
        .expect_error(422, ErrorCode::ValidationFailed);
    assert!(error.message.contains("title"), "{}", error.message);

    let mut too_long_message = new_notification("unicode", "ok");
    too_long_message.message = Some("€".repeat(2001));
    let error = server
        .api()
        .post_json("/notifications", &service, &too_long_message)
        .await
        .expect_error(422, ErrorCode::ValidationFailed);
    assert!(error.message.contains("message"), "{}", error.message);
}

#[tokio::test]
async fn invalid_fields_are_422_naming_the_field() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let big_data = json!({ "blob": "x".repeat(9000) });
    let cases: Vec<(&str, Value)> = vec![
        ("userId", json!({"title": "t"})),
        ("userId", json!({"userId": 42, "title": "t"})),
        ("userId", json!({"userId": null, "title": "t"})),
        ("userId", json!({"userId": "u".repeat(256), "title": "t"})),
        ("userId", json!({"userId": "", "title": "t"})),
        ("title", json!({"userId": "u"})),
        ("title", json!({"userId": "u", "title": ""})),
        ("title", json!({"userId": "u", "title": "x".repeat(201)})),
        ("title", json!({"userId": "u", "title": 7})),
        (
            "message",
            json!({"userId": "u", "title": "t", "message": "m".repeat(2001)}),
        ),
        (
            "message",
            json!({"userId": "u", "title": "t", "message": ["m"]}),
        ),
        ("type", json!({"userId": "u", "title": "t", "type": 3})),
        ("type", json!({"userId": "u", "title": "t", "type": ""})),
        (
            "type",
            json!({"userId": "u", "title": "t", "type": "t".repeat(101)}),
        ),
        ("data", json!({"userId": "u", "title": "t", "data": [1, 2]})),
        ("data", json!({"userId": "u", "title": "t", "data": "text"})),
        ("data", json!({"userId": "u", "title": "t", "data": 5})),
        (
            "data",
            json!({"userId": "u", "title": "t", "data": big_data}),
        ),
    ];
    for (field, body) in cases {
        let reply = server
            .api()
            .post_json("/notifications", &service, &body)
            .await;
        let error = reply.expect_error(422, ErrorCode::ValidationFailed);
        assert!(
            error.message.contains(field),
            "message should name {field:?} for {body}: {:?}",
            error.message
        );
    }
    // JSON that isn't an object at all is still JSON: 422, not 400.
    for body in ["[]", "\"text\"", "42", "null"] {
        server
            .api()
            .post_raw("/notifications", &service, body)
            .await
            .expect_error(422, ErrorCode::ValidationFailed);
    }
    // Nothing was stored by any of these.
    assert!(
        server
            .api()
            .list_all(&server.user_token("u"))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn data_up_to_8_kib_is_accepted() {
    let server = TestServer::start(BIN).await;
    let data = json!({ "blob": "x".repeat(8 * 1024 - 100) });
    let body = json!({"userId": "u", "title": "t", "data": data});
    let reply = server
        .api()
        .post_json("/notifications", &server.service_token(), &body)
        .await
        .expect(201);
    assert_eq!(reply.json()["data"], data);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_400_invalid_json() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    for body in [
        "",
        "{",
        "not json",
        r#"{"userId": "u", "title": }"#,
        r#"{"userId": "u", "title": "t"} trailing"#,
        "{'userId': 'u'}",
    ] {
        let reply = server
            .api()
            .post_raw("/notifications", &service, body)
            .await;
        reply.expect_error(400, ErrorCode::InvalidJson);
    }
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let server = TestServer::start(BIN).await;
    let service = server.service_token();
    let padding = "x".repeat(64 * 1024 + 1);
    let body = json!({"userId": "u", "title": "t", "data": {"pad": padding}}).to_string();

    // With a Content-Length.
    server
        .api()
        .post_raw("/notifications", &service, body.clone())
        .await
        .expect_error(413, ErrorCode::PayloadTooLarge);

    // Chunked, without a Content-Length.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body
        .as_bytes()
        .chunks(8 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let stream = futures_util::stream::iter(chunks);
    let request = server
        .api()
        .authed(Method::POST, "/notifications", &service)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream));
    server
        .api()
        .send(request)
        .await
        .expect_error(413, ErrorCode::PayloadTooLarge);

    // The server is fine afterwards.
    server.api().publish(&service, "u", "after").await;
}

#[tokio::test]
async fn unknown_routes_are_404_with_a_json_error() {
    let server = TestServer::start(BIN).await;
    let token = server.user_token("wanderer");
    for path in ["/nope", "/notifications/a/b/c", "/notification"] {
        server
            .api()
            .get(path, &token)
            .await
            .expect_error(404, ErrorCode::NotFound);
    }
}

#[tokio::test]
async fn errors_are_json_with_code_and_message() {
    let server = TestServer::start(BIN).await;
    let reply = server
        .api()
        .send(server.api().raw(Method::GET, "/notifications"))
        .await;
    assert!(
        reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json")),
        "content-type of an error: {:?}",
        reply.headers.get("content-type")
    );
    let error = reply.expect_error(401, ErrorCode::Unauthorized);
    assert!(!error.message.is_empty());
}
