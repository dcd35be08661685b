//! Bytes held back from a connection to leave with its next write, in one segment.
//!
//! A WebSocket handshake ends with hyper writing the `101 Switching Protocols` response and
//! flushing it, then the Engine.IO OPEN packet the server sends at once: two writes, two
//! loopback or network deliveries, two wake-ups of the peer. Held here, the 101 goes out in the
//! same `writev` as the OPEN. [`super::watched::Watched`] decides what is held and releases it
//! before anything that could wait for the peer (a read, a shutdown), so holding never stalls a
//! conversation in which the peer speaks next (a polling session upgraded to WebSocket, whose
//! client answers the 101 with its probe).

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::AsyncWrite;

/// What is held, if anything.
#[derive(Debug, Default)]
pub struct Held(Option<Box<[u8]>>);

impl Held {
    /// Holds `bytes` (after anything already held).
    pub fn hold(&mut self, bytes: &[u8]) {
        self.0 = Some(match self.0.take() {
            Some(held) => [&held[..], bytes].concat().into(),
            None => bytes.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// Writes what is held and then `buf`, in one vectored write where `io` takes one.
    /// Like `poll_write`, the count is of `buf`'s bytes.
    pub fn poll_write_after<IO: AsyncWrite + Unpin>(
        &mut self,
        io: &mut IO,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        while let Some(held) = self.0.take() {
            let both = [IoSlice::new(&held), IoSlice::new(buf)];
            let polled = Pin::new(&mut *io).poll_write_vectored(cx, &both);
            match polled {
                Poll::Ready(Ok(n)) if n > held.len() => return Poll::Ready(Ok(n - held.len())),
                Poll::Ready(Ok(n)) if n > 0 => self.keep_rest(&held, n),
                _ => {
                    self.0 = Some(held);
                    return polled.map_ok(|_| 0);
                }
            }
        }
        Pin::new(io).poll_write(cx, buf)
    }

    /// Writes what is held, then flushes `io`.
    pub fn poll_release<IO: AsyncWrite + Unpin>(
        &mut self,
        io: &mut IO,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        while let Some(held) = self.0.take() {
            let polled = Pin::new(&mut *io).poll_write(cx, &held);
            match polled {
                Poll::Ready(Ok(n)) if n > 0 => self.keep_rest(&held, n),
                // Nothing went: an error, a wait, or a write of none (an error here).
                _ => {
                    self.0 = Some(held);
                    return polled.map(|r| r.and_then(|_| Err(io::ErrorKind::WriteZero.into())));
                }
            }
        }
        ready!(Pin::new(io).poll_flush(cx))?;
        Poll::Ready(Ok(()))
    }

    /// After `written` bytes of `held` went out, holds the rest.
    fn keep_rest(&mut self, held: &[u8], written: usize) {
        if written < held.len() {
            self.0 = Some(held[written..].into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    /// An `AsyncWrite` that records each write call and takes at most `limit` bytes per call.
    #[derive(Default)]
    struct Recorder {
        writes: Vec<Vec<u8>>,
        limit: Option<usize>,
        blocked: bool,
    }

    impl AsyncWrite for Recorder {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.poll_write_vectored(cx, &[IoSlice::new(buf)])
        }

        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            if self.blocked {
                return Poll::Pending;
            }
            let mut all: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
            all.truncate(self.limit.unwrap_or(usize::MAX));
            let n = all.len();
            self.writes.push(all);
            Poll::Ready(Ok(n))
        }

        fn is_write_vectored(&self) -> bool {
            true
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn cx() -> Context<'static> {
        Context::from_waker(Waker::noop())
    }

    const REPLY: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\r\n";
    const OPEN: &[u8] = b"\x81\x030{}";

    #[test]
    fn the_held_bytes_leave_with_the_next_write_in_one_call() {
        let (mut held, mut io) = (Held::default(), Recorder::default());
        held.hold(REPLY);
        assert!(io.writes.is_empty());

        let written = held.poll_write_after(&mut io, &mut cx(), OPEN);

        assert!(matches!(written, Poll::Ready(Ok(n)) if n == OPEN.len()));
        assert_eq!(io.writes, [[REPLY, OPEN].concat()]);
        assert!(held.is_empty());
    }

    #[test]
    fn with_nothing_held_a_write_goes_straight_through() {
        let (mut held, mut io) = (Held::default(), Recorder::default());
        let written = held.poll_write_after(&mut io, &mut cx(), OPEN);
        assert!(matches!(written, Poll::Ready(Ok(n)) if n == OPEN.len()));
        assert_eq!(io.writes, [OPEN.to_vec()]);
    }

    #[test]
    fn short_writes_keep_the_order_and_lose_nothing() {
        let (mut held, mut io) = (Held::default(), Recorder::default());
        held.hold(REPLY);
        io.limit = Some(7);
        let mut sent = 0;
        while sent < OPEN.len() {
            match held.poll_write_after(&mut io, &mut cx(), &OPEN[sent..]) {
                Poll::Ready(Ok(n)) => sent += n,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(held.is_empty());
        assert_eq!(io.writes.concat(), [REPLY, OPEN].concat());
    }

    #[test]
    fn a_blocked_write_keeps_what_is_held() {
        let (mut held, mut io) = (Held::default(), Recorder::default());
        held.hold(REPLY);
        io.blocked = true;
        assert!(held.poll_write_after(&mut io, &mut cx(), OPEN).is_pending());
        assert!(held.poll_release(&mut io, &mut cx()).is_pending());
        assert!(!held.is_empty());

        io.blocked = false;
        assert!(matches!(
            held.poll_release(&mut io, &mut cx()),
            Poll::Ready(Ok(()))
        ));
        assert_eq!(io.writes, [REPLY.to_vec()]);
        assert!(held.is_empty());
    }

    #[test]
    fn a_release_writes_everything_held_in_order() {
        let (mut held, mut io) = (Held::default(), Recorder::default());
        held.hold(REPLY);
        held.hold(b"more");
        io.limit = Some(5);
        assert!(matches!(
            held.poll_release(&mut io, &mut cx()),
            Poll::Ready(Ok(()))
        ));
        assert_eq!(io.writes.concat(), [REPLY, b"more"].concat());
        assert!(held.is_empty());
    }
}
