//! Prometheus metrics (prefix `notify_`), served as text on `/metrics`.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

pub struct Metrics {
    registry: Registry,
    /// Live Socket.IO connections on `/notifications`.
    pub sockets: Gauge,
    /// Open SSE streams.
    pub sse_streams: Gauge,
    pub notifications_created: Counter,
    /// Notification events handed to a live socket or SSE stream.
    pub notifications_delivered: Counter,
    pub request_duration: Family<RequestLabels, Histogram>,
    /// Time from a committed change to its push being handed to every socket and stream.
    pub push_duration: Histogram,
    /// 1 while the Redis link is up (cluster mode only).
    pub redis_link_up: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("notify");
        let sockets = Gauge::<i64, std::sync::atomic::AtomicI64>::default();
        let sse_streams = Gauge::default();
        let notifications_created = Counter::<u64, AtomicU64>::default();
        let notifications_delivered = Counter::default();
        let request_duration = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 14))
        });
        registry.register("sockets", "Live Socket.IO connections", sockets.clone());
        registry.register("sse_streams", "Open SSE streams", sse_streams.clone());
        registry.register(
            "notifications_created",
            "Notifications stored",
            notifications_created.clone(),
        );
        registry.register(
            "notifications_delivered",
            "Notification events handed to live sockets and SSE streams",
            notifications_delivered.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            request_duration.clone(),
        );
        let push_duration = Histogram::new(exponential_buckets(0.0001, 2.0, 14));
        registry.register(
            "push_duration_seconds",
            "Delivery lag: from a committed change to its push handed to every socket and stream",
            push_duration.clone(),
        );
        let redis_link_up = Gauge::default();
        registry.register(
            "redis_link_up",
            "1 while the Redis link is up (cluster mode)",
            redis_link_up.clone(),
        );
        Self {
            registry,
            sockets,
            sse_streams,
            notifications_created,
            notifications_delivered,
            request_duration,
            push_duration,
            redis_link_up,
        }
    }
}

impl Metrics {
    /// The media type of [`Metrics::render`]'s output.
    pub const CONTENT_TYPE: &'static str =
        "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /// Every metric in the OpenMetrics text format (which Prometheus scrapes).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_contract_names() {
        let metrics = Metrics::default();
        metrics.sockets.inc();
        metrics.notifications_created.inc();
        let labels = RequestLabels {
            method: "GET".into(),
            route: "/healthz".into(),
            status: 200,
        };
        metrics
            .request_duration
            .get_or_create(&labels)
            .observe(0.001);
        let text = metrics.render();
        for name in [
            "notify_sockets 1",
            "notify_sse_streams 0",
            "notify_notifications_created_total 1",
            "notify_notifications_delivered_total 0",
            "notify_http_request_duration_seconds_bucket{le=\"0.001\",method=\"GET\",route=\"/healthz\",status=\"200\"} 1",
        ] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
    }
}
