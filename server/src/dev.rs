//! `--dev`: everything needed to try the server with no setup, loudly marked as such: a
//! generated secret, printed tokens and curl commands, and (see `http::dev`) routes that mint
//! tokens and send test notifications. None of it exists outside dev mode.

use std::time::Duration;

use rand::Rng;

use crate::auth;
use crate::config::{JwtConfig, TokenArgs};

/// The user the printed dev token is for.
pub const DEV_USER: &str = "demo-user";

/// How long dev tokens stay valid.
pub const DEV_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);

/// A random secret for this run.
pub fn generate_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Mints dev tokens with the run's HS256 secret.
pub struct Minter {
    jwt: JwtConfig,
    secret: String,
}

impl Minter {
    pub fn new(jwt: JwtConfig, secret: String) -> Self {
        Self { jwt, secret }
    }

    pub fn token(&self, user: &str, service: bool) -> anyhow::Result<String> {
        let args = TokenArgs {
            user: user.to_owned(),
            service,
            ttl: DEV_TOKEN_TTL,
        };
        auth::mint(&self.jwt, &self.secret, &args)
    }

    /// The banner printed before `listening on ...`: tokens and ready-to-paste curl commands.
    pub fn banner(&self, base_url: &str, generated: bool) -> anyhow::Result<String> {
        let user = self.token(DEV_USER, false)?;
        let service = self.token("dev-backend", true)?;
        let secret = &self.secret;
        let secret_note = if generated {
            "A random JWT secret was generated for this run (tokens stop working when it\n  \
             restarts; set JWT_SECRET to keep them)."
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
Dev-only routes: POST /dev/token {{\"userId\"}} mints a user token;\n  \
POST /dev/notify (user token) {{\"title\"?, \"message\"?}} sends the caller a test notification.\n\
Mint more tokens: notify-server token --user ID [--service] --jwt-secret {secret}\n\
=====================================================================\n"
        ))
    }
}
