//! TLS served directly (`--tls-cert` / `--tls-key`, rustls with the ring provider): https and
//! wss on the same port as the server would otherwise serve http and ws. Behind a
//! TLS-terminating proxy (the documented default) neither flag is set.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;

/// Accepts TLS connections with the configured certificate chain and key.
#[derive(Clone)]
pub struct Tls(TlsAcceptor);

impl Tls {
    /// Reads a PEM certificate chain (leaf first) and its PEM private key.
    pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Self> {
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .with_context(|| format!("cannot read TLS certificates from {}", cert.display()))?;
        anyhow::ensure!(!chain.is_empty(), "no certificate in {}", cert.display());
        let key = PrivateKeyDer::from_pem_file(key)
            .with_context(|| format!("cannot read a TLS private key from {}", key.display()))?;
        let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .context("the TLS certificate and key don't match")?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self(TlsAcceptor::from(Arc::new(config))))
    }

    /// The TLS handshake on an accepted connection; `None` when it fails or takes longer
    /// than `within`.
    pub async fn accept(
        &self,
        stream: TcpStream,
        within: Duration,
    ) -> Option<TlsStream<TcpStream>> {
        match tokio::time::timeout(within, self.0.accept(stream)).await {
            Ok(Ok(stream)) => Some(stream),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "TLS handshake failed");
                None
            }
            Err(_) => None,
        }
    }
}
