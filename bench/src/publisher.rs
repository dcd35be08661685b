//! An open-loop publisher: `POST /notifications` at a fixed rate for a fixed time.
//!
//! Request `i` is due at `start + i / rate`, whether or not earlier ones have been answered
//! (up to `max_in_flight` outstanding), so a slow server shows up as lag and latency rather
//! than as a politely lower rate. Each body carries its sequence number and the moment it
//! was sent (`data.seq`, `data.t` in µs since the run's epoch), which the receiving sockets
//! turn into delivery latency.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::{Semaphore, mpsc};

/// What to publish.
pub struct Plan<'a> {
    pub rate: u32,
    pub duration: Duration,
    /// Recipients, used round-robin.
    pub users: &'a [String],
    /// Sequence number of the first notification (numbers are unique over a whole run).
    pub first_seq: u64,
}

impl Plan<'_> {
    pub fn count(&self) -> u64 {
        (self.rate as u128 * self.duration.as_millis() / 1000) as u64
    }
}

/// What came back.
#[derive(Debug, Default)]
pub struct Outcome {
    pub sent: u64,
    pub created: u64,
    /// Non-201 answers by status code.
    pub statuses: BTreeMap<u16, u64>,
    pub transport_errors: u64,
    pub first_error: Option<String>,
    /// From the first request's due time to the last answer.
    pub elapsed: Duration,
    /// The latest any request started after its due time.
    pub max_lag: Duration,
    /// POST round-trip times in µs.
    pub post_micros: Vec<u32>,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.created == self.sent && self.transport_errors == 0 && self.statuses.is_empty()
    }

    pub fn achieved_rate(&self) -> f64 {
        self.sent as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

struct Answer {
    status: Result<u16, String>,
    micros: u32,
}

/// Publishes `plan` through `client` to `base` with `token`; `epoch` is the run's time zero.
pub async fn run(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    plan: &Plan<'_>,
    epoch: Instant,
    max_in_flight: usize,
) -> Outcome {
    let total = plan.count();
    let url = format!("{base}/notifications");
    let auth = format!("Bearer {token}");
    let permits = Arc::new(Semaphore::new(max_in_flight.max(1)));
    let (tx, mut rx) = mpsc::unbounded_channel::<Answer>();
    let mut outcome = Outcome::default();

    let start = Instant::now();
    for i in 0..total {
        let due =
            start + Duration::from_nanos((i as u128 * 1_000_000_000 / plan.rate as u128) as u64);
        tokio::time::sleep_until(due.into()).await;
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore open");
        outcome.max_lag = outcome
            .max_lag
            .max(Instant::now().saturating_duration_since(due));

        let seq = plan.first_seq + i;
        let user = &plan.users[(seq % plan.users.len() as u64) as usize];
        let request = client.post(&url).header("authorization", &auth);
        let body_user = user.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let sent = Instant::now();
            let t = sent.duration_since(epoch).as_micros() as u64;
            let body = json!({
                "userId": body_user,
                "title": "bench",
                "type": "bench",
                "data": {"seq": seq, "t": t},
            });
            let status = match request.json(&body).send().await {
                Ok(response) => {
                    let code = response.status().as_u16();
                    // Read the body so the connection goes back to the pool.
                    let _ = response.bytes().await;
                    Ok(code)
                }
                Err(e) => Err(e.to_string()),
            };
            let micros = sent.elapsed().as_micros().min(u32::MAX as u128) as u32;
            let _ = tx.send(Answer { status, micros });
            drop(permit);
        });
        outcome.sent += 1;
    }
    drop(tx);

    outcome.post_micros.reserve(total as usize);
    while let Some(answer) = rx.recv().await {
        outcome.post_micros.push(answer.micros);
        match answer.status {
            Ok(201) => outcome.created += 1,
            Ok(code) => *outcome.statuses.entry(code).or_default() += 1,
            Err(e) => {
                outcome.transport_errors += 1;
                outcome.first_error.get_or_insert(e);
            }
        }
    }
    outcome.elapsed = start.elapsed();
    outcome
}

/// An HTTP client for publishing: keep-alive connections, no proxy, no timeouts beyond 30 s.
pub fn client(max_in_flight: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(max_in_flight)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}
