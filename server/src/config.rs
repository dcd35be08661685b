//! Command-line flags and environment variables (clap), and the `token` subcommand's arguments.
//!
//! Every flag can also be given as an environment variable, so the same binary is configured
//! by flags on a laptop and by env vars in a container.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::forwarded::TrustProxy;

/// GhostPay Notifications: real-time in-app notifications over Socket.IO, SSE and REST.
#[derive(Debug, Parser)]
#[command(name = "notify-server", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub jwt: JwtConfig,
    #[command(flatten)]
    pub server: ServerConfig,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Mint a JWT signed with the configured HS256 secret and print it.
    Token(TokenArgs),
}

#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The user the token is for (its `sub` claim).
    #[arg(long)]
    pub user: String,
    /// Mint a service token (`role: service`), which may publish for any user.
    #[arg(long)]
    pub service: bool,
    /// How long the token stays valid, e.g. `30s`, `15m`, `1h`, `7d`.
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub ttl: Duration,
}

/// How tokens are verified. Global so that `token` can use the same secret.
#[derive(Debug, Clone, Args)]
pub struct JwtConfig {
    /// HS256 secret. Required unless `--jwt-public-key` is given or in `--dev` mode.
    #[arg(long, env = "JWT_SECRET", global = true, hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// The one algorithm accepted; any other (and `none`) is rejected.
    #[arg(
        long,
        env = "JWT_ALGORITHM",
        global = true,
        value_enum,
        default_value = "HS256"
    )]
    pub jwt_algorithm: JwtAlgorithm,
    /// PEM public key file for RS256 / ES256.
    #[arg(long, env = "JWT_PUBLIC_KEY_FILE", global = true)]
    pub jwt_public_key: Option<std::path::PathBuf>,
    /// Required `iss` claim, when set.
    #[arg(long, env = "JWT_ISSUER", global = true)]
    pub jwt_issuer: Option<String>,
    /// Required `aud` claim, when set.
    #[arg(long, env = "JWT_AUDIENCE", global = true)]
    pub jwt_audience: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JwtAlgorithm {
    #[value(name = "HS256")]
    Hs256,
    #[value(name = "RS256")]
    Rs256,
    #[value(name = "ES256")]
    Es256,
}

#[derive(Debug, Clone, Args)]
pub struct ServerConfig {
    /// Address to listen on (use 0.0.0.0 in a container).
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on; 0 picks a free one (the chosen port is printed).
    #[arg(long, env = "PORT", default_value_t = 3001)]
    pub port: u16,
    /// Connections the kernel queues for accept (`listen(2)` backlog), so a burst of handshakes
    /// is not slowed by dropped SYNs. Linux caps it at `net.core.somaxconn`.
    #[arg(long, env = "LISTEN_BACKLOG", default_value_t = 4096)]
    pub listen_backlog: u32,
    /// Sockets and SSE streams this node is sized to hold at once; a warning is logged at start
    /// when the open-file limit (`ulimit -n`, systemd `LimitNOFILE`) is too low for them.
    #[arg(long, env = "EXPECTED_CONNECTIONS", default_value_t = 10_000)]
    pub expected_connections: u64,
    /// Where notifications are stored: `sqlite://PATH` (WAL mode; created when missing), or
    /// `postgres://user:password@host:port/db` for several nodes sharing one database.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://notifications.db"
    )]
    pub database_url: String,
    /// Redis 7+ for several nodes (`redis://host:6379`): Socket.IO broadcasts and SSE messages
    /// reach every node. Unset: one node, nothing else to run.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,
    /// Origins allowed by CORS, comma-separated, or `*`. None by default (in `--dev`: any).
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Largest accepted REST body and Socket.IO message, in bytes.
    #[arg(long, env = "BODY_LIMIT", default_value_t = 64 * 1024)]
    pub body_limit: usize,
    /// Requests and socket events per second per user (token bucket refill rate).
    #[arg(long, env = "USER_RATE", default_value_t = 20)]
    pub user_rate: u32,
    /// Burst size of the per-user bucket.
    #[arg(long, env = "USER_BURST", default_value_t = 100)]
    pub user_burst: u32,
    /// Failed-authentication requests and socket handshakes per second per client IP.
    #[arg(long, env = "IP_RATE", default_value_t = 200)]
    pub ip_rate: u32,
    /// Burst size of the per-IP bucket.
    #[arg(long, env = "IP_BURST", default_value_t = 1000)]
    pub ip_burst: u32,
    /// Publishes per second per service token subject (`POST /notifications`).
    #[arg(long, env = "PUBLISH_RATE", default_value_t = 50_000)]
    pub publish_rate: u32,
    /// Burst size of the per-publisher bucket.
    #[arg(long, env = "PUBLISH_BURST", default_value_t = 100_000)]
    pub publish_burst: u32,
    /// Live Socket.IO connections and SSE streams allowed per user, together (tabs, devices).
    #[arg(long, env = "MAX_SOCKETS_PER_USER", default_value_t = 32)]
    pub max_sockets_per_user: usize,
    /// Open connections at most (HTTP, SSE and WebSocket together); past it, new connections
    /// are closed at once.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 50_000)]
    pub max_connections: usize,
    /// A request head must arrive within this (`10s`, `1m`); it also bounds how long a
    /// keep-alive connection waits for its next request.
    #[arg(long, env = "HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,
    /// A request body must arrive in full within this, counted from its head (408 otherwise).
    #[arg(long, env = "BODY_READ_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub body_read_timeout: Duration,
    /// A connection on which nothing moves either way for this long is closed (SSE and
    /// Socket.IO heartbeats keep live streams and polling well within it).
    #[arg(long, env = "IDLE_TIMEOUT", default_value = "2m", value_parser = parse_duration)]
    pub idle_timeout: Duration,
    /// Socket.IO handshakes per client IP that have not authenticated (yet, or ever); more
    /// are refused with 429. Authenticated sockets don't count.
    #[arg(long, env = "MAX_PENDING_HANDSHAKES_PER_IP", default_value_t = 256)]
    pub max_pending_handshakes_per_ip: usize,
    /// Serve TLS directly (https and wss on the same port): PEM certificate chain, leaf first.
    /// Needs `--tls-key`. Unset (the default): plain http, TLS terminated by a proxy in front.
    #[arg(long, env = "TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of `--tls-cert`.
    #[arg(long, env = "TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Socket.IO transports offered: `polling`, `websocket` or both.
    #[arg(
        long,
        env = "TRANSPORTS",
        value_enum,
        value_delimiter = ',',
        default_value = "polling,websocket"
    )]
    pub transports: Vec<Transport>,
    /// Behind reverse proxies: which ones to trust when reading the client IP (for per-IP
    /// limits) from `X-Forwarded-For`. A hop count (`--trust-proxy` alone means 1: the entry
    /// your proxy appended is the client), or trusted proxy ranges such as
    /// `10.0.0.0/8,127.0.0.1` (the rightmost address outside them is the client). Default: the
    /// TCP peer, header ignored.
    #[arg(
        long,
        env = "TRUST_PROXY",
        num_args = 0..=1,
        default_missing_value = "1",
        default_value = "0",
        value_name = "HOPS|CIDRS"
    )]
    pub trust_proxy: TrustProxy,
    /// Serve `/metrics` (Prometheus text) to anyone; turn off to keep it private.
    #[arg(long, env = "METRICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub metrics: bool,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Development mode: no setup needed. Generates a JWT secret when none is given, prints
    /// ready-to-use tokens and a curl command, allows any CORS origin. Never use in production.
    #[arg(long, env = "NOTIFY_DEV")]
    pub dev: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Transport {
    Polling,
    Websocket,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Parses `90`, `90s`, `15m`, `1h`, `7d` into a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("invalid duration {text:?}"))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "invalid duration unit in {text:?}: use s, m, h or d"
            ));
        }
    };
    Ok(Duration::from_secs(number * seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(604_800));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn defaults_follow_the_contract() {
        let cli = Cli::try_parse_from(["notify-server"]).unwrap();
        assert_eq!(cli.server.port, 3001);
        assert_eq!(cli.server.body_limit, 65536);
        assert_eq!(cli.server.database_url, "sqlite://notifications.db");
        assert_eq!(
            cli.server.transports,
            vec![Transport::Polling, Transport::Websocket]
        );
        assert!(cli.server.cors_origins.is_empty());
        assert_eq!(cli.server.listen_backlog, 4096);
    }

    #[test]
    fn token_subcommand_takes_global_secret_after_it() {
        let cli = Cli::try_parse_from([
            "notify-server",
            "token",
            "--user",
            "7",
            "--service",
            "--jwt-secret",
            "s",
        ])
        .unwrap();
        assert_eq!(cli.jwt.jwt_secret.as_deref(), Some("s"));
        let Some(Command::Token(args)) = cli.command else {
            panic!("expected token")
        };
        assert!(args.service);
        assert_eq!(args.user, "7");
    }
}
