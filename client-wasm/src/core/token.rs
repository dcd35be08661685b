//! When to refresh a token: its `exp`, read without verifying (the server verifies), and the
//! moment shortly before it at which the client asks `getToken` for a fresh one.

use super::json::{Json, u64_field};

/// How long before `exp` a long-lived token is refreshed, ms.
const REFRESH_LEAD_MS: u64 = 60_000;

/// The `exp` claim of a JWT in ms since the epoch; `None` when the token isn't a JWT with one.
pub fn expiry_ms<J: Json>(token: &str) -> Option<u64> {
    let payload = base64url(token.split('.').nth(1)?)?;
    let claims = J::parse(core::str::from_utf8(&payload).ok()?)?;
    u64_field(&claims, "exp")?.checked_mul(1000)
}

/// When to refresh a token received at `now` that expires at `exp` (both ms): a minute before
/// `exp`, or a tenth of its remaining life before when that is shorter. `None` once it expired.
pub fn refresh_due(now: u64, exp: u64) -> Option<u64> {
    let life = exp.checked_sub(now).filter(|&life| life > 0)?;
    Some(exp - (life / 10).min(REFRESH_LEAD_MS))
}

/// Decodes unpadded base64url (padding is tolerated); `None` on any other character.
fn base64url(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    Some(out)
}

/// An unsigned JWT with these claims (the client never verifies signatures), for tests.
#[cfg(test)]
pub fn jwt(claims: &str) -> String {
    let encode = |bytes: &[u8]| {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n =
                chunk.iter().fold(0u32, |n, &b| (n << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    };
    format!(
        "{}.{}.sig",
        encode(br#"{"alg":"HS256"}"#),
        encode(claims.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn reads_exp_from_a_jwt_of_any_payload_length() {
        for sub in ["a", "ab", "abc", "user-42é"] {
            let token = jwt(&format!(r#"{{"sub":"{sub}","exp":1700000000}}"#));
            assert_eq!(
                expiry_ms::<Value>(&token),
                Some(1_700_000_000_000),
                "{token}"
            );
        }
    }

    #[test]
    fn tokens_without_a_readable_exp_have_none() {
        assert_eq!(expiry_ms::<Value>("opaque-token"), None);
        assert_eq!(expiry_ms::<Value>(&jwt(r#"{"sub":"a"}"#)), None);
        assert_eq!(expiry_ms::<Value>(&jwt(r#"{"exp":"soon"}"#)), None);
        assert_eq!(expiry_ms::<Value>("a.b$d.c"), None);
        assert_eq!(expiry_ms::<Value>("a.bm90IGpzb24.c"), None);
    }

    #[test]
    fn a_long_token_is_refreshed_a_minute_early_a_short_one_a_tenth_of_its_life_early() {
        let now = 1_000_000;
        assert_eq!(refresh_due(now, now + 3_600_000), Some(now + 3_540_000));
        assert_eq!(refresh_due(now, now + 20_000), Some(now + 18_000));
        assert_eq!(refresh_due(now, now + 600_000), Some(now + 540_000));
    }

    #[test]
    fn an_expired_token_is_not_scheduled() {
        assert_eq!(refresh_due(1_000, 1_000), None);
        assert_eq!(refresh_due(1_000, 999), None);
    }
}
