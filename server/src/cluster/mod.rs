//! Running several nodes: with `REDIS_URL` set, Socket.IO broadcasts travel between nodes
//! through the socketioxide-redis adapter, and SSE messages through a Redis channel of ours,
//! so a change made on any node reaches the user's sockets and streams on every node.
//!
//! The link is watched: a PING every second keeps the connection manager reconnecting while
//! Redis is away and tells `/readyz` and `/metrics` whether the link is up. While it is down,
//! each node still serves its own sockets and streams; clients on other nodes catch up from the
//! store (`sinceSeq` / `Last-Event-ID`) when they reconnect.

mod driver;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use socketioxide_redis::drivers::Driver;
use socketioxide_redis::{RedisAdapterConfig, RedisAdapterCtr};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub use driver::ManagedDriver;

use crate::sse_hub::{SseHub, SseMessage};

/// The Redis channel carrying SSE messages between nodes.
const SSE_CHANNEL: &str = "ghostpay-notify:sse";
/// How long relaying one SSE message may take.
const RELAY_TIMEOUT: Duration = Duration::from_millis(500);
/// How often the link is checked.
const HEALTH_INTERVAL: Duration = Duration::from_secs(1);

pub struct Cluster {
    driver: ManagedDriver,
    /// Tells this node's own messages apart from the others'.
    node_id: String,
    /// The Socket.IO room every socket of this node joins (`node:<id>`).
    node_room: String,
    up: AtomicBool,
}

/// An SSE message as it travels between nodes.
#[derive(Serialize, Deserialize)]
struct Relayed {
    node: String,
    user: String,
    seq: Option<u64>,
    notification_id: Option<String>,
    json: String,
}

impl Cluster {
    /// Connects to Redis 7+ (RESP3 is added to the URL when missing).
    pub async fn connect(url: &str) -> anyhow::Result<Arc<Self>> {
        let url = if url.contains("protocol=") {
            url.to_owned()
        } else {
            format!(
                "{url}{}protocol=resp3",
                if url.contains('?') { '&' } else { '?' }
            )
        };
        let client = redis::Client::open(url.as_str())?;
        let node_id = Uuid::now_v7().to_string();
        let driver = ManagedDriver::connect(client)
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach Redis at REDIS_URL: {e}"))?;
        tracing::info!("connected to Redis: cross-node delivery on");
        Ok(Arc::new(Self {
            driver,
            node_room: format!("node:{node_id}"),
            node_id,
            up: AtomicBool::new(true),
        }))
    }

    /// The socketioxide-redis adapter's constructor, on our reconnecting driver.
    pub fn adapter(&self) -> RedisAdapterCtr<ManagedDriver> {
        RedisAdapterCtr::new_with_driver(self.driver.clone(), RedisAdapterConfig::default())
    }

    /// The room of this node's sockets, to broadcast to the other nodes only.
    pub fn node_room(&self) -> &str {
        &self.node_room
    }

    /// Whether the last health check reached Redis.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Sends an SSE message to the other nodes (this node has delivered it already).
    pub async fn relay_sse(&self, user_id: &str, message: &SseMessage) {
        let relayed = Relayed {
            node: self.node_id.clone(),
            user: user_id.to_owned(),
            seq: message.seq,
            notification_id: message.notification_id.clone(),
            json: message.json.to_string(),
        };
        let Ok(payload) = serde_json::to_vec(&relayed) else {
            return;
        };
        let publish = self.driver.publish(SSE_CHANNEL.to_owned(), payload);
        match tokio::time::timeout(RELAY_TIMEOUT, publish).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not relay an SSE message to other nodes")
            }
            Err(_) => tracing::warn!("relaying an SSE message to other nodes timed out"),
        }
    }

    /// Delivers other nodes' SSE messages to this node's streams.
    pub async fn spawn_sse_listener(self: &Arc<Self>, hub: Arc<SseHub>) -> anyhow::Result<()> {
        let mut messages = self.driver.subscribe(SSE_CHANNEL.to_owned(), 4096).await?;
        let node_id = self.node_id.clone();
        tokio::spawn(async move {
            while let Some((_, payload)) = messages.next().await {
                let Ok(relayed) = serde_json::from_slice::<Relayed>(&payload) else {
                    continue;
                };
                if relayed.node != node_id {
                    let message = SseMessage {
                        seq: relayed.seq,
                        notification_id: relayed.notification_id,
                        json: relayed.json.into(),
                    };
                    hub.send(&relayed.user, message);
                }
            }
        });
        Ok(())
    }

    /// Pings Redis every second until shutdown, recording whether the link is up.
    pub fn spawn_health_check(self: &Arc<Self>, shutdown: CancellationToken) {
        let cluster = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(HEALTH_INTERVAL);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = every.tick() => {}
                }
                let mut conn = cluster.driver.connection();
                let command = redis::cmd("PING");
                let ping = command.query_async::<String>(&mut conn);
                let up = matches!(tokio::time::timeout(HEALTH_INTERVAL, ping).await, Ok(Ok(_)));
                if cluster.up.swap(up, Ordering::Relaxed) != up {
                    if up {
                        tracing::info!("Redis link is back: cross-node delivery resumed");
                    } else {
                        tracing::warn!(
                            "Redis link is down: delivering to this node's clients only"
                        );
                    }
                }
            }
        });
    }
}
