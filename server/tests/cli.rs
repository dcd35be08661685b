//! The command line: required secret, `--dev`, environment variables, the `token`
//! subcommand, CORS origins, transports and the metrics switch.

use notify_testkit::bindings::{ServerEvent, UnreadCount};
use notify_testkit::jwt::{TEST_SECRET, now, peek_claims};
use notify_testkit::reqwest::Method;
use notify_testkit::server::run_cli;
use notify_testkit::sio::Auth;
use notify_testkit::{TestServer, Token};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

/// Every JWT-shaped word (`eyJ….….…`) in `text`.
fn jwts_in(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .filter(|word| word.starts_with("eyJ") && word.matches('.').count() == 2)
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn without_a_secret_outside_dev_mode_it_refuses_to_start() {
    let error = match TestServer::builder(BIN).no_jwt_secret().try_start().await {
        Ok(mut server) => {
            let status = server.wait_exit(notify_testkit::WAIT).await;
            panic!(
                "printed `listening on` without JWT_SECRET and without --dev (then exited with \
                 {status}); it should refuse before announcing readiness. Output:\n{}",
                server.output()
            );
        }
        Err(e) => e,
    };
    let status = error.status.expect("it exits rather than hang");
    assert!(!status.success(), "exit status {status}");
    assert!(
        error.output.to_lowercase().contains("secret"),
        "the error should name the missing secret: {}",
        error.output
    );
}

#[tokio::test]
async fn dev_mode_needs_nothing_and_prints_working_tokens() {
    let server = TestServer::builder(BIN)
        .no_jwt_secret()
        .arg("--dev")
        .start()
        .await;
    let output = server.output();
    assert!(
        output.to_lowercase().contains("development"),
        "dev output should be marked as development-only: {output}"
    );
    let tokens = jwts_in(&output);
    let user = tokens
        .iter()
        .find(|t| peek_claims(t).get("role").is_none() && peek_claims(t).get("scope").is_none())
        .unwrap_or_else(|| panic!("no user token printed: {output}"));
    let service = tokens
        .iter()
        .find(|t| peek_claims(t)["role"] == "service")
        .unwrap_or_else(|| panic!("no service token printed: {output}"));
    let user_id = peek_claims(user)["sub"]
        .as_str()
        .expect("user token has sub")
        .to_owned();

    let created = server.api().publish(service, &user_id, "dev works").await;
    assert_eq!(server.api().list_all(user).await, vec![created]);
    let mut socket = server
        .sio(Auth::payload(user.clone()))
        .await
        .expect("dev user token connects");
    assert_eq!(
        socket.next_server_event().await,
        ServerEvent::UnreadCount(UnreadCount {
            count: 1,
            unseen: 1
        })
    );
}

#[tokio::test]
async fn every_setting_can_come_from_the_environment() {
    let server = TestServer::builder(BIN)
        .no_jwt_secret()
        .no_port_flag()
        .no_database_flag()
        .env("PORT", "0")
        .env("JWT_SECRET", TEST_SECRET)
        .env("DATABASE_URL", "sqlite://from-env.db")
        .env("BODY_LIMIT", "1024")
        .start()
        .await;
    let service = Token::service("env-publisher").hs256(TEST_SECRET);
    server.api().publish(&service, "env-user", "hi").await;
    assert!(server.dir().join("from-env.db").exists());
    let big = json!({"userId": "u", "title": "t", "data": {"pad": "p".repeat(2000)}});
    let reply = server
        .api()
        .post_json("/notifications", &service, &big)
        .await;
    assert_eq!(reply.status, 413, "BODY_LIMIT from the env: {}", reply.text);
}

#[tokio::test]
async fn the_token_subcommand_mints_working_tokens() {
    let out = run_cli(
        BIN,
        &[
            "token",
            "--user",
            "cli-user",
            "--ttl",
            "1h",
            "--jwt-secret",
            TEST_SECRET,
        ],
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    let user = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let claims = peek_claims(&user);
    assert_eq!(claims["sub"], "cli-user");
    let ttl = claims["exp"].as_i64().expect("exp") - now();
    assert!((3500..=3700).contains(&ttl), "--ttl 1h gave exp in {ttl} s");

    let out = run_cli(
        BIN,
        &[
            "token",
            "--user",
            "cli-backend",
            "--service",
            "--jwt-secret",
            TEST_SECRET,
        ],
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    let service = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let server = TestServer::start(BIN).await;
    let created = server.api().publish(&service, "cli-user", "minted").await;
    assert_eq!(server.api().list_all(&user).await, vec![created]);
    // The user token may not publish.
    server
        .api()
        .post_json(
            "/notifications",
            &user,
            &json!({"userId": "cli-user", "title": "x"}),
        )
        .await
        .expect(403);
}

/// The `Access-Control-Allow-Origin` a preflight from `origin` gets, if any.
async fn preflight_allows(server: &TestServer, origin: &str) -> Option<String> {
    let request = server
        .api()
        .raw(Method::OPTIONS, "/notifications")
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization");
    let reply = server.api().send(request).await;
    reply
        .headers
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn cors_wildcard_and_dev_mode_allow_any_origin() {
    let wildcard = TestServer::builder(BIN)
        .flag("--cors-origins", "*")
        .start()
        .await;
    let dev = TestServer::builder(BIN).arg("--dev").start().await;
    for server in [&wildcard, &dev] {
        let allowed = preflight_allows(server, "https://anywhere.test").await;
        assert!(
            matches!(allowed.as_deref(), Some("*" | "https://anywhere.test")),
            "{allowed:?}"
        );
    }
    // Without the flag, no origin is allowed.
    let default = TestServer::start(BIN).await;
    assert_eq!(
        preflight_allows(&default, "https://anywhere.test").await,
        None
    );
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let server = TestServer::builder(BIN)
        .flag(
            "--cors-origins",
            "https://app.ghostpay.test,https://admin.ghostpay.test",
        )
        .start()
        .await;
    for origin in ["https://app.ghostpay.test", "https://admin.ghostpay.test"] {
        assert_eq!(
            preflight_allows(&server, origin).await.as_deref(),
            Some(origin)
        );
    }
    assert_eq!(preflight_allows(&server, "https://evil.test").await, None);
}

#[tokio::test]
async fn transports_can_be_limited_to_websocket() {
    let polling_handshake = "/socket.io/?EIO=4&transport=polling";

    let default = TestServer::start(BIN).await;
    let reply = default
        .api()
        .send(default.api().raw(Method::GET, polling_handshake))
        .await;
    assert_eq!(
        reply.status, 200,
        "polling is on by default: {}",
        reply.text
    );
    assert!(reply.text.starts_with("0{"), "{}", reply.text);

    let ws_only = TestServer::builder(BIN)
        .flag("--transports", "websocket")
        .start()
        .await;
    let reply = ws_only
        .api()
        .send(ws_only.api().raw(Method::GET, polling_handshake))
        .await;
    assert_ne!(reply.status, 200, "polling is off: {}", reply.text);
    ws_only.connect_user("ws-only").await;
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let server = TestServer::builder(BIN)
        .flag("--metrics", "false")
        .start()
        .await;
    let reply = server
        .api()
        .send(server.api().raw(Method::GET, "/metrics"))
        .await;
    assert_ne!(reply.status, 200, "{}", reply.text);
    assert!(!reply.text.contains("notify_"), "{}", reply.text);
}

#[tokio::test]
async fn an_open_file_limit_too_low_for_the_expected_connections_is_warned_about_and_serving_goes_on()
 {
    // No process here may hold a billion descriptors, whatever its hard limit.
    let server = TestServer::builder(BIN)
        .flag("--expected-connections", "1000000000")
        .flag("--listen-backlog", "16")
        .start()
        .await;
    let output = server.output();
    assert!(
        output.contains("open-file limit is below what --expected-connections needs"),
        "{output}"
    );
    assert!(output.contains("LimitNOFILE="), "{output}");
    let reply = server
        .api()
        .get("/notifications/unread-count", &server.user_token("ann"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}
