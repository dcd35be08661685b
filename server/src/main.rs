//! `notify-server`: run the notification service, or mint a token with `notify-server token`.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use notify_server::config::{Cli, Command, LogFormat};
use tracing_subscriber::EnvFilter;

/// Threads for blocking work: SQLite reads, each on a pooled connection. A burst of socket
/// connects (each reads its unread count) would otherwise start dozens of threads, each with
/// its own stack, allocator arena and SQLite connection, that linger after the burst.
const BLOCKING_THREADS: usize = 8;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Token(args)) = &cli.command {
        return match cli
            .jwt
            .jwt_secret
            .as_deref()
            .map(|secret| notify_server::auth::mint(&cli.jwt, secret, args))
        {
            Some(Ok(token)) => {
                println!("{token}");
                ExitCode::SUCCESS
            }
            Some(Err(e)) => fail(&e),
            None => fail(&anyhow::anyhow!(
                "JWT_SECRET (or --jwt-secret) is required to mint tokens"
            )),
        };
    }
    init_logging(cli.server.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&e.into()),
    };
    match runtime.block_on(notify_server::run(cli.jwt, cli.server)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(error: &anyhow::Error) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "notify-server: {error:#}");
    ExitCode::FAILURE
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,socketioxide=warn,engineioxide=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
