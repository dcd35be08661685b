//! `GET /openapi.json` against the real server: every operation it declares is routed and
//! answers with a status it declares and a body that fits the declared schema; no route is left
//! out of it; its bounds are the contract's limits.

use std::collections::BTreeSet;
use std::path::Path;

use notify_testkit::TestServer;
use notify_testkit::bindings::{ErrorCode, limits};
use notify_testkit::reqwest::{Method, RequestBuilder, Response};
use notify_testkit::rest::new_notification;
use serde_json::{Map, Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_notify-server");

/// The methods a REST route could have.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(server: &TestServer) -> Value {
    let reply = server
        .api()
        .send(server.api().raw(Method::GET, "/openapi.json"))
        .await
        .expect(200);
    let document = reply.json();
    assert_eq!(document["openapi"], "3.1.0", "{document}");
    document
}

/// Every `(method, path)` the document declares, e.g. `("post", "/notifications/{id}/read")`.
fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(|method| ((*method).to_owned(), path.clone()))
        })
        .collect()
}

/// A validator for `schema`, whose `$ref`s point into the document's components. Formats
/// (`date-time`) are checked too.
fn validator(document: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.as_object().cloned().expect("a schema object");
    root.insert("components".into(), document["components"].clone());
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&Value::Object(root))
        .unwrap_or_else(|e| panic!("schema {schema} doesn't compile: {e}"))
}

fn named_schema(document: &Value, name: &str) -> Value {
    let schema = &document["components"]["schemas"][name];
    assert!(schema.is_object(), "no schema {name} in the document");
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn assert_fits(document: &Value, schema: &Value, body: &Value, what: &str) {
    let validator = validator(document, schema);
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: {body} doesn't fit {schema}: {errors:?}"
    );
}

/// What the router answers when no route has this path, or none this method.
fn is_unrouted(status: u16, body: &str) -> bool {
    status == 404 && body.contains("no such route")
}

/// Checks one real answer against the operation's declared responses: the status is declared,
/// the content type is the declared one, and a JSON body fits the declared schema.
async fn check_answer(document: &Value, method: &str, path: &str, response: Response) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let declared = &document["paths"][path][method]["responses"][status.to_string()];
    if content_type.starts_with("text/event-stream") {
        // A live stream never ends: its headers are the answer.
        assert!(
            declared["content"]["text/event-stream"].is_object(),
            "{method} {path}: {status} {content_type} isn't declared: {declared}"
        );
        return;
    }
    let body = response.text().await.expect("body");
    assert!(
        !is_unrouted(status, &body),
        "{method} {path} is declared but not routed: {body}"
    );
    assert!(
        declared.is_object(),
        "{method} {path} answered {status}, which isn't declared: {body}"
    );
    let Some(content) = declared.get("content").and_then(Value::as_object) else {
        assert!(
            body.is_empty(),
            "{method} {path}: {status} has a body but declares none: {body}"
        );
        return;
    };
    let (media_type, media) = content
        .iter()
        .find(|(media_type, _)| content_type.starts_with(media_type.as_str()))
        .unwrap_or_else(|| {
            panic!("{method} {path}: {status} answered {content_type}, declared {content:?}")
        });
    if media_type == "application/json" {
        let json: Value = serde_json::from_str(&body).expect("a JSON body");
        assert_fits(
            document,
            &media["schema"],
            &json,
            &format!("{method} {path} {status}"),
        );
    }
}

/// A request for each operation that a route of the server would take, by the caller who may
/// make it. A new operation must be added here (and so gets checked).
fn request_for(server: &TestServer, method: &str, path: &str, id: &str) -> RequestBuilder {
    let api = server.api();
    let user = server.user_token("alice");
    let concrete = path.replace("{id}", id);
    match (method, path) {
        ("post", "/notifications") => api
            .authed(Method::POST, path, &server.service_token())
            .json(&new_notification("alice", "Documented")),
        ("post", "/dev/token") => api.raw(Method::POST, path).json(&json!({"userId": "bob"})),
        ("post", "/dev/notify") => api
            .authed(Method::POST, path, &user)
            .json(&json!({"title": "From dev"})),
        ("get", "/healthz" | "/readyz" | "/metrics" | "/openapi.json") => {
            api.raw(Method::GET, path)
        }
        (
            "get",
            "/notifications"
            | "/notifications/unread-count"
            | "/notifications/counts"
            | "/notifications/events",
        ) => api.authed(Method::GET, path, &user),
        (
            "post",
            "/notifications/{id}/read"
            | "/notifications/{id}/unread"
            | "/notifications/{id}/archive"
            | "/notifications/{id}/unarchive"
            | "/notifications/read-all"
            | "/notifications/seen-all",
        ) => api.authed(Method::POST, &concrete, &user),
        ("post", "/notifications/seen") => api
            .authed(Method::POST, path, &user)
            .json(&json!({"ids": [id]})),
        ("delete", "/notifications/{id}") => api.authed(Method::DELETE, &concrete, &user),
        _ => panic!("no request for {method} {path}: add one to request_for"),
    }
}

#[tokio::test]
async fn every_declared_operation_is_routed_and_answers_as_declared() {
    let server = TestServer::builder(BIN).arg("--dev").start().await;
    let document = document(&server).await;
    let declared = operations(&document);
    assert!(
        declared.contains(&("post".into(), "/dev/token".into())),
        "--dev routes are declared under --dev: {declared:?}"
    );
    let id = server
        .api()
        .publish(&server.service_token(), "alice", "Target")
        .await
        .id;
    let user = server.user_token("alice");
    // Deleting comes last: it removes the notification the others use.
    let (deletes, others): (Vec<_>, Vec<_>) =
        declared.iter().partition(|(method, _)| method == "delete");
    for (method, path) in others.into_iter().chain(deletes) {
        let request = request_for(&server, method, path, &id);
        let response = request.send().await.expect("HTTP request");
        check_answer(&document, method, path, response).await;
        // The failures every such route has: a bad token, and an id that isn't the caller's.
        let http_method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let operation = &document["paths"][path][method];
        if operation.get("security").is_some() {
            let response = server
                .api()
                .authed(http_method.clone(), &path.replace("{id}", &id), "not-a-jwt")
                .send()
                .await
                .expect("HTTP request");
            assert_eq!(
                response.status(),
                401,
                "{method} {path} without a valid token"
            );
            check_answer(&document, method, path, response).await;
        }
        if path.contains("{id}") {
            let response = server
                .api()
                .authed(http_method, &path.replace("{id}", "missing"), &user)
                .send()
                .await
                .expect("HTTP request");
            assert_eq!(response.status(), 404, "{method} {path} with an unknown id");
            check_answer(&document, method, path, response).await;
        }
    }
}

#[tokio::test]
async fn undeclared_methods_on_declared_paths_are_not_routed() {
    let server = TestServer::builder(BIN).arg("--dev").start().await;
    let document = document(&server).await;
    let declared = operations(&document);
    let token = server.user_token("alice");
    let paths: BTreeSet<&String> = declared.iter().map(|(_, path)| path).collect();
    for path in paths {
        let concrete = path.replace("{id}", "0");
        for method in METHODS {
            if declared.contains(&(method.to_owned(), path.clone())) {
                continue;
            }
            let http_method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let reply = server
                .api()
                .send(server.api().authed(http_method, &concrete, &token))
                .await;
            assert!(
                is_unrouted(reply.status.as_u16(), &reply.text),
                "{method} {path} is routed ({}) but not declared: {}",
                reply.status,
                reply.text
            );
        }
    }
}

/// The other half of "no route is missing": routes are only ever added through `routes!`,
/// which takes each handler's method and path from its `#[utoipa::path]` and adds it to the
/// router and the document alike. So there is no plain axum `.route(...)`, and the handlers
/// named in `routes!` are exactly the declared operations.
#[tokio::test]
async fn routes_are_only_added_with_their_declaration() {
    let http = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut handlers = Vec::new();
    for entry in std::fs::read_dir(&http).expect("src/http") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read source");
        for plain in [".route(", ".route_service(", ".nest(", ".nest_service("] {
            assert!(
                !text.contains(plain),
                "{} adds a route with `{plain}`, which leaves it out of /openapi.json; \
                 declare it with #[utoipa::path] and add it with `.routes(routes!(...))`",
                path.display()
            );
        }
        for (start, _) in text.match_indices("routes!(") {
            let rest = &text[start + "routes!(".len()..];
            let list = &rest[..rest.find(')').expect("closing paren")];
            handlers.extend(
                list.split(',')
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .map(str::to_owned),
            );
        }
    }
    let server = TestServer::builder(BIN).arg("--dev").start().await;
    let declared = operations(&document(&server).await);
    assert_eq!(
        handlers.len(),
        declared.len(),
        "handlers in routes!: {handlers:?}; declared: {declared:?}"
    );
}

#[tokio::test]
async fn without_dev_the_dev_routes_are_neither_routed_nor_declared() {
    let server = TestServer::start(BIN).await;
    let declared = operations(&document(&server).await);
    let paths: BTreeSet<&str> = declared.iter().map(|(_, path)| path.as_str()).collect();
    let expected = BTreeSet::from([
        "/healthz",
        "/metrics",
        "/notifications",
        "/notifications/counts",
        "/notifications/events",
        "/notifications/read-all",
        "/notifications/seen",
        "/notifications/seen-all",
        "/notifications/unread-count",
        "/notifications/{id}",
        "/notifications/{id}/archive",
        "/notifications/{id}/read",
        "/notifications/{id}/unarchive",
        "/notifications/{id}/unread",
        "/openapi.json",
        "/readyz",
    ]);
    assert_eq!(paths, expected);
    for path in ["/dev/token", "/dev/notify"] {
        let reply = server
            .api()
            .send(server.api().raw(Method::POST, path))
            .await;
        assert!(
            is_unrouted(reply.status.as_u16(), &reply.text),
            "{path}: {} {}",
            reply.status,
            reply.text
        );
    }
}

#[tokio::test]
async fn real_answers_fit_the_declared_schemas() {
    let server = TestServer::start(BIN).await;
    let document = document(&server).await;
    let api = server.api();
    let user = server.user_token("alice");

    // A created notification has exactly the properties the schema requires, no more.
    let reply = api
        .post_json(
            "/notifications",
            &server.service_token(),
            &json!({"userId": "alice", "title": "Paid", "type": "payment.received",
                    "data": {"amount": 20}}),
        )
        .await
        .expect(201);
    let created = reply.json();
    assert_fits(
        &document,
        &named_schema(&document, "Notification"),
        &created,
        "created",
    );
    let required: BTreeSet<&str> = document["components"]["schemas"]["Notification"]["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let properties: BTreeSet<&str> = created
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(properties, required);

    let id = created["id"].as_str().expect("id").to_owned();
    let read = api.post(&format!("/notifications/{id}/read"), &user).await;
    assert_fits(
        &document,
        &named_schema(&document, "Notification"),
        &read.expect(200).json(),
        "read",
    );
    for (path, schema) in [
        ("/notifications?limit=1", "Page"),
        ("/notifications/unread-count", "UnreadCount"),
    ] {
        let reply = api.get(path, &user).await.expect(200);
        assert_fits(
            &document,
            &named_schema(&document, schema),
            &reply.json(),
            path,
        );
    }

    // A schema that says no doesn't pass everything: a notification without `readAt` fails.
    let mut incomplete: Map<String, Value> = created.as_object().cloned().expect("object");
    incomplete.remove("readAt");
    let schema = named_schema(&document, "Notification");
    assert!(!validator(&document, &schema).is_valid(&Value::Object(incomplete)));

    // Error answers: each route's error has the declared shape and one of the declared codes.
    let error_schema = named_schema(&document, "ErrorResponse");
    let errors = [
        (api.get("/notifications", "not-a-jwt").await, 401),
        (api.get("/notifications?limit=101", &user).await, 422),
        (api.post("/notifications/nope/read", &user).await, 404),
        (
            api.post_raw("/notifications", &server.service_token(), "{")
                .await,
            400,
        ),
        (
            api.post_json("/notifications", &user, &new_notification("alice", "x"))
                .await,
            403,
        ),
    ];
    for (reply, status) in errors {
        let body = reply.expect(status).json();
        assert_fits(&document, &error_schema, &body, &format!("{status}"));
    }
}

/// Numeric bounds in attributes must be literals, so they are checked here against the
/// contract's limits in `notify-bindings`.
#[tokio::test]
async fn declared_bounds_are_the_contracts_limits() {
    let server = TestServer::start(BIN).await;
    let document = document(&server).await;
    let create = &document["components"]["schemas"]["CreateNotification"]["properties"];
    for (field, min, max) in [
        ("userId", Some(1), limits::USER_ID_MAX_CHARS),
        ("title", Some(1), limits::TITLE_MAX_CHARS),
        ("message", None, limits::MESSAGE_MAX_CHARS),
        ("type", Some(1), limits::TYPE_MAX_CHARS),
    ] {
        assert_eq!(create[field]["maxLength"], json!(max), "{field}");
        assert_eq!(
            create[field].get("minLength"),
            min.map(|m| json!(m)).as_ref(),
            "{field}"
        );
    }
    let parameters = document["paths"]["/notifications"]["get"]["parameters"]
        .as_array()
        .expect("parameters");
    let limit = parameters
        .iter()
        .find(|p| p["name"] == "limit")
        .expect("a limit parameter");
    assert_eq!(limit["schema"]["minimum"], json!(limits::PAGE_LIMIT_MIN));
    assert_eq!(limit["schema"]["maximum"], json!(limits::PAGE_LIMIT_MAX));
    assert_eq!(
        limit["schema"]["default"],
        json!(limits::PAGE_LIMIT_DEFAULT)
    );

    let codes: BTreeSet<String> = document["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("error codes")
        .iter()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    let known: BTreeSet<String> = [
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::InvalidJson,
        ErrorCode::ValidationFailed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::RateLimited,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ]
    .iter()
    .map(|c| c.as_str().to_owned())
    .collect();
    assert_eq!(codes, known);

    // Every security requirement names a declared scheme.
    let schemes = document["components"]["securitySchemes"]
        .as_object()
        .expect("security schemes");
    for (method, path) in operations(&document) {
        for requirement in document["paths"][&path][&method]["security"]
            .as_array()
            .into_iter()
            .flatten()
        {
            for name in requirement.as_object().expect("requirement").keys() {
                assert!(schemes.contains_key(name), "{method} {path}: {name}");
            }
        }
    }
}
