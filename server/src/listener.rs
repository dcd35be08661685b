//! The process's hold on the network: the listening socket (with a configurable accept
//! backlog) and the open-file limit that caps how many connections it can keep.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket};

/// Descriptors the process uses besides client connections: the listener, the runtime's
/// epoll and wakers, store files or pooled database connections, Redis, stdio.
const RESERVED_DESCRIPTORS: u64 = 64;

/// Binds `host:port` and listens with `backlog` pending connections (capped by the kernel's
/// `net.core.somaxconn`).
pub async fn bind(host: &str, port: u16, backlog: u32) -> anyhow::Result<TcpListener> {
    let mut last_error = None;
    for address in tokio::net::lookup_host((host, port)).await? {
        match listen(address, backlog) {
            Ok(listener) => return Ok(listener),
            Err(e) => last_error = Some(e),
        }
    }
    Err(match last_error {
        Some(e) => anyhow::Error::new(e).context(format!("cannot listen on {host}:{port}")),
        None => anyhow::anyhow!("{host} resolves to no address"),
    })
}

fn listen(address: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = match address {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(backlog)
}

/// Raises the soft open-file limit to the hard one, and warns when the result can't hold
/// `expected_connections` (each socket or SSE stream is one descriptor).
pub fn raise_descriptor_limit(expected_connections: u64) {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "could not raise the open-file limit");
            return;
        }
    };
    let needed = expected_connections.saturating_add(RESERVED_DESCRIPTORS);
    if limit < needed {
        tracing::warn!(
            open_file_limit = limit,
            expected_connections,
            needed,
            "the open-file limit is below what --expected-connections needs: connections past \
             it will be refused; raise it (systemd `LimitNOFILE={needed}`, `ulimit -n {needed}`, \
             docker `--ulimit nofile={needed}`) or lower --expected-connections"
        );
    }
}
