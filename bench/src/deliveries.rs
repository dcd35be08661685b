//! Collects the notifications the receiving sockets got and turns them into latencies.
//!
//! Every published notification has a unique `data.seq`; the collector records, per seq,
//! the time from its POST being sent (`data.t`) to the socket reading the frame.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use notify_testkit::load::Arrival;

const NOT_YET: u32 = u32::MAX;

#[derive(Default)]
struct Table {
    /// Delivery latency in µs by seq, or NOT_YET.
    latency: Vec<u32>,
    duplicates: u64,
    unparsable: u64,
}

/// Shared view of everything delivered so far.
#[derive(Clone, Default)]
pub struct Deliveries {
    table: Arc<Mutex<Table>>,
}

/// Deliveries of one seq range.
pub struct Tally {
    pub delivered: u64,
    pub duplicates: u64,
    pub unparsable: u64,
    /// Latencies in µs, sorted.
    pub micros: Vec<u32>,
}

impl Deliveries {
    /// Starts collecting from `arrivals`; `epoch` is the time zero of `data.t`.
    pub fn spawn(mut arrivals: mpsc::UnboundedReceiver<Arrival>, epoch: Instant) -> Deliveries {
        let deliveries = Deliveries::default();
        let table = deliveries.table.clone();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(256);
            while arrivals.recv_many(&mut batch, 256).await > 0 {
                let mut table = table.lock().expect("deliveries lock");
                for arrival in batch.drain(..) {
                    table.record(&arrival, epoch);
                }
            }
        });
        deliveries
    }

    /// How many of `first..first+count` have been delivered.
    pub fn delivered(&self, first: u64, count: u64) -> u64 {
        let table = self.table.lock().expect("deliveries lock");
        (first..first + count)
            .filter(|&s| table.latency.get(s as usize).is_some_and(|&l| l != NOT_YET))
            .count() as u64
    }

    /// Waits until `target` of `first..first+count` are delivered or `limit` passes.
    pub async fn wait_for(&self, first: u64, count: u64, target: u64, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self.delivered(first, count) >= target {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The deliveries of `first..first+count`.
    pub fn tally(&self, first: u64, count: u64) -> Tally {
        let table = self.table.lock().expect("deliveries lock");
        let mut micros: Vec<u32> = (first..first + count)
            .filter_map(|s| table.latency.get(s as usize).copied())
            .filter(|&l| l != NOT_YET)
            .collect();
        micros.sort_unstable();
        Tally {
            delivered: micros.len() as u64,
            duplicates: table.duplicates,
            unparsable: table.unparsable,
            micros,
        }
    }
}

impl Table {
    fn record(&mut self, arrival: &Arrival, epoch: Instant) {
        let Some((seq, t)) = parse(arrival.payload()) else {
            self.unparsable += 1;
            return;
        };
        let sent = epoch + Duration::from_micros(t);
        let micros = arrival.at.saturating_duration_since(sent).as_micros();
        let micros = micros.min((NOT_YET - 1) as u128) as u32;
        let index = seq as usize;
        if self.latency.len() <= index {
            self.latency.resize(index + 1, NOT_YET);
        }
        if self.latency[index] == NOT_YET {
            self.latency[index] = micros;
        } else {
            self.duplicates += 1;
        }
    }
}

/// `(data.data.seq, data.data.t)` of a `notification` envelope.
fn parse(payload: &str) -> Option<(u64, u64)> {
    let envelope: serde_json::Value = serde_json::from_str(payload).ok()?;
    let data = envelope.get("data")?.get("data")?;
    Some((data.get("seq")?.as_u64()?, data.get("t")?.as_u64()?))
}

/// The `p`th percentile (0..=100) of sorted `values`, nearest-rank.
pub fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// µs as milliseconds with two decimals, or `-`.
pub fn ms(micros: Option<u32>) -> String {
    micros.map_or_else(|| "-".to_owned(), |m| format!("{:.2}", m as f64 / 1000.0))
}
