//! A socketioxide-redis [`Driver`] on redis-rs's `ConnectionManager`, which reconnects with
//! backoff and re-subscribes every channel after Redis restarts. (The stock redis driver sits
//! on one multiplexed connection and stays dead once Redis goes away.)

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, PushInfo, PushKind, Value};
use socketioxide_redis::drivers::{ChanItem, Driver, MessageStream};
use tokio::sync::mpsc;

type Handlers = Arc<RwLock<HashMap<String, mpsc::Sender<ChanItem>>>>;

#[derive(Clone)]
pub struct ManagedDriver {
    conn: ConnectionManager,
    handlers: Handlers,
}

#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DriverError(#[from] redis::RedisError);

impl ManagedDriver {
    /// Connects (RESP3 is required for pub/sub pushes: `redis://host:port?protocol=resp3`).
    pub async fn connect(client: redis::Client) -> redis::RedisResult<Self> {
        let handlers: Handlers = Arc::default();
        let routes = handlers.clone();
        let config = ConnectionManagerConfig::new()
            .set_automatic_resubscription()
            .set_push_sender(move |push: PushInfo| {
                route(push, &routes);
                Ok::<(), std::convert::Infallible>(())
            })
            .set_min_delay(Duration::from_millis(100))
            .set_max_delay(Duration::from_secs(5))
            .set_number_of_retries(6)
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)));
        let conn = ConnectionManager::new_with_config(client, config).await?;
        Ok(Self { conn, handlers })
    }

    /// A handle for commands (PING for health checks).
    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }
}

/// Hands a pub/sub message to the stream subscribed to its channel.
fn route(push: PushInfo, handlers: &Handlers) {
    if !matches!(push.kind, PushKind::Message | PushKind::SMessage) {
        return;
    }
    let mut data = push.data.into_iter();
    let (Some(channel), Some(payload)) = (data.next(), data.next()) else {
        return;
    };
    let (Ok(channel), Ok(payload)) = (
        redis::from_redis_value::<String>(channel),
        redis::from_redis_value::<Vec<u8>>(payload),
    ) else {
        return;
    };
    let sender = handlers
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&channel)
        .cloned();
    if let Some(sender) = sender
        && sender.try_send((channel, payload)).is_err()
    {
        tracing::warn!("redis pub/sub handler is full; a cluster message was dropped");
    }
}

impl Driver for ManagedDriver {
    type Error = DriverError;

    async fn publish(&self, chan: String, val: Vec<u8>) -> Result<(), DriverError> {
        self.conn.clone().publish::<_, _, Value>(chan, val).await?;
        Ok(())
    }

    async fn subscribe(
        &self,
        chan: String,
        size: usize,
    ) -> Result<MessageStream<ChanItem>, DriverError> {
        let (tx, rx) = mpsc::channel(size);
        self.handlers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(chan.clone(), tx);
        self.conn.clone().subscribe(chan.as_str()).await?;
        Ok(MessageStream::new(rx))
    }

    async fn unsubscribe(&self, chan: String) -> Result<(), DriverError> {
        self.handlers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&chan);
        self.conn.clone().unsubscribe(chan).await?;
        Ok(())
    }

    async fn num_serv(&self, chan: &str) -> Result<u16, DriverError> {
        let (_, count): (String, u16) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(chan)
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(count)
    }
}
