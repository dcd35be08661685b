//! `--dev`: everything needed to try the server with no setup, loudly marked as such.

use std::time::Duration;

use rand::Rng;

use crate::auth;
use crate::config::{JwtConfig, TokenArgs};

/// The user the printed dev token is for.
pub const DEV_USER: &str = "demo-user";

/// A random secret for this run.
pub fn generate_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The banner printed before `listening on ...`: tokens and a ready-to-paste curl.
pub fn banner(
    jwt: &JwtConfig,
    secret: &str,
    base_url: &str,
    generated: bool,
) -> anyhow::Result<String> {
    let day = Duration::from_secs(24 * 3600);
    let user = auth::mint(
        jwt,
        secret,
        &TokenArgs {
            user: DEV_USER.into(),
            service: false,
            ttl: day,
        },
    )?;
    let service = auth::mint(
        jwt,
        secret,
        &TokenArgs {
            user: "dev-backend".into(),
            service: true,
            ttl: day,
        },
    )?;
    let secret_note = if generated {
        "A random JWT secret was generated for this run (tokens stop working when it restarts;\n  \
         set JWT_SECRET to keep them)."
    } else {
        "Tokens are signed with the JWT_SECRET you gave."
    };
    Ok(format!(
        "\n\
=====================================================================\n\
  DEVELOPMENT MODE: not for production. Any CORS origin is allowed.\n\
  {secret_note}\n\
=====================================================================\n\
User token ({DEV_USER}, 24h):\n  {user}\n\
Service token (may publish, 24h):\n  {service}\n\n\
Watch {DEV_USER}'s notifications arrive (Server-Sent Events):\n  \
curl -N {base_url}/notifications/events -H 'Authorization: Bearer {user}'\n\n\
Publish one (in another terminal):\n  \
curl -X POST {base_url}/notifications -H 'Authorization: Bearer {service}' \
-H 'Content-Type: application/json' -d '{{\"userId\":\"{DEV_USER}\",\"title\":\"Hello\",\"message\":\"It works\"}}'\n\n\
Mint more tokens: notify-server token --user ID [--service] --jwt-secret {secret}\n\
=====================================================================\n"
    ))
}
