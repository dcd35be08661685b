//! The I/O of one accepted connection: it records when bytes last moved (for the idle
//! timeout), holds the connection's place under `--max-connections` for as long as the I/O
//! lives (an upgraded WebSocket leaves hyper with it), and holds a `101 Switching Protocols`
//! back so that it leaves with the server's first WebSocket frame (see `held`).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;

use super::held::Held;

/// What the connection's I/O shares with its accept-loop task and request handler.
pub struct Activity {
    started: Instant,
    last_ms: AtomicU64,
    hold_next_write: AtomicBool,
}

impl Activity {
    fn touch(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// When bytes last moved on the connection.
    pub fn last(&self) -> Instant {
        self.started + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    /// The next write (a `101` response about to be written) is held back until the
    /// connection's next write, read or shutdown.
    pub fn hold_next_write(&self) {
        self.hold_next_write.store(true, Ordering::Relaxed);
    }

    fn take_hold(&self) -> bool {
        self.hold_next_write.load(Ordering::Relaxed)
            && self.hold_next_write.swap(false, Ordering::Relaxed)
    }
}

/// A connection's I/O; see the module docs.
pub struct Watched<IO> {
    inner: IO,
    pub activity: Arc<Activity>,
    held: Held,
    _place: OwnedSemaphorePermit,
}

impl<IO> Watched<IO> {
    pub fn new(inner: IO, place: OwnedSemaphorePermit) -> Self {
        let activity = Arc::new(Activity {
            started: Instant::now(),
            last_ms: AtomicU64::new(0),
            hold_next_write: AtomicBool::new(false),
        });
        Self {
            inner,
            activity,
            held: Held::default(),
            _place: place,
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Watched<IO> {
    /// Sends what is held, before anything that may wait for the peer.
    fn poll_release(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.held.is_empty() {
            return Poll::Ready(Ok(()));
        }
        ready!(self.held.poll_release(&mut self.inner, cx))?;
        self.activity.touch();
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for Watched<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        ready!(self.poll_release(cx))?;
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Watched<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.activity.take_hold() {
            this.held.hold(buf);
            return Poll::Ready(Ok(buf.len()));
        }
        let polled = this.held.poll_write_after(&mut this.inner, cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        polled
    }

    /// Flushes without releasing what is held: hyper flushes the 101 right after writing it.
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_release(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, duplex};
    use tokio::sync::Semaphore;

    const REPLY: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\r\n";
    const OPEN: &[u8] = b"\x81\x030{}";

    fn watched() -> (Watched<DuplexStream>, DuplexStream) {
        let (server, client) = duplex(4096);
        let place = Arc::new(Semaphore::new(1)).try_acquire_owned().unwrap();
        (Watched::new(server, place), client)
    }

    /// A connection whose 101 (`REPLY`) was written while a hold was asked for.
    async fn with_reply_held() -> (Watched<DuplexStream>, DuplexStream) {
        let (mut io, client) = watched();
        io.activity.hold_next_write();
        io.write_all(REPLY).await.unwrap();
        (io, client)
    }

    /// Nothing has reached the client (within a moment: a held write never arrives).
    async fn assert_nothing_sent(client: &mut DuplexStream) {
        let mut buf = [0; 1];
        let read = tokio::time::timeout(Duration::from_millis(50), client.read(&mut buf)).await;
        assert!(read.is_err(), "the client got {read:?}");
    }

    /// The next `len` bytes the client gets (failing, not hanging, when they never come).
    async fn received(client: &mut DuplexStream, len: usize) -> Vec<u8> {
        let mut buf = vec![0; len];
        tokio::time::timeout(Duration::from_secs(10), client.read_exact(&mut buf))
            .await
            .expect("the bytes never came")
            .unwrap();
        buf
    }

    #[tokio::test]
    async fn a_held_reply_waits_for_the_next_write_not_for_a_flush() {
        let (mut io, mut client) = with_reply_held().await;
        io.flush().await.unwrap();
        assert_nothing_sent(&mut client).await;

        io.write_all(OPEN).await.unwrap();
        assert_eq!(
            received(&mut client, REPLY.len() + OPEN.len()).await,
            [REPLY, OPEN].concat()
        );
    }

    #[tokio::test]
    async fn only_the_write_after_the_hold_is_held() {
        let (mut io, mut client) = watched();
        io.write_all(b"a").await.unwrap();
        assert_eq!(received(&mut client, 1).await, b"a");
        io.activity.hold_next_write();
        io.write_all(b"b").await.unwrap();
        assert_nothing_sent(&mut client).await;
        io.write_all(b"c").await.unwrap();
        io.write_all(b"d").await.unwrap();
        assert_eq!(received(&mut client, 3).await, b"bcd");
    }

    #[tokio::test]
    async fn a_read_first_sends_what_is_held_so_the_peer_can_answer() {
        let (mut io, mut client) = with_reply_held().await;

        let server = tokio::spawn(async move {
            let mut probe = [0; 6];
            io.read_exact(&mut probe).await.unwrap();
            probe
        });
        assert_eq!(received(&mut client, REPLY.len()).await, REPLY);
        client.write_all(b"2probe").await.unwrap();
        assert_eq!(&server.await.unwrap(), b"2probe");
    }

    #[tokio::test]
    async fn a_shutdown_sends_what_is_held() {
        let (mut io, mut client) = with_reply_held().await;
        io.shutdown().await.unwrap();
        let mut all = Vec::new();
        client.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, REPLY);
    }
}
