//! Tokens for tests: valid HS256/RS256/ES256 ones and forged ones.
//!
//! [`Token`] holds a claim set; its signing methods turn it into a compact JWT. The forging
//! methods ([`Token::alg_none`], [`Token::hs384`], [`Token::with_bad_signature`],
//! [`tamper_payload`]) produce exactly the tokens a server with a pinned algorithm must reject.
//!
//! The key pairs below are test fixtures generated for this crate; they protect nothing.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

/// The HS256 secret [`crate::TestServer`] starts the server with.
pub const TEST_SECRET: &str = "testkit-hs256-secret-that-is-long-enough-0123456789";

/// RSA private key (PKCS#1 PEM) signing [`Token::rs256`].
pub const RSA_PRIVATE_PEM: &str = include_str!("../keys/rsa-private.pem");
/// Public half of [`RSA_PRIVATE_PEM`] (SPKI PEM), for `--jwt-public-key`.
pub const RSA_PUBLIC_PEM: &str = include_str!("../keys/rsa-public.pem");
/// An unrelated RSA private key: its signatures must not verify against [`RSA_PUBLIC_PEM`].
pub const RSA_OTHER_PRIVATE_PEM: &str = include_str!("../keys/rsa-other-private.pem");
/// P-256 private key (PKCS#8 PEM) signing [`Token::es256`].
pub const EC_PRIVATE_PEM: &str = include_str!("../keys/ec-private.pem");
/// Public half of [`EC_PRIVATE_PEM`] (SPKI PEM), for `--jwt-public-key`.
pub const EC_PUBLIC_PEM: &str = include_str!("../keys/ec-public.pem");

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// A claim set to sign (or forge) into a JWT.
#[derive(Debug, Clone)]
pub struct Token {
    claims: Map<String, Value>,
}

impl Token {
    /// A user token: `sub` = `user`, `iat` = now, `exp` = now + 1 hour.
    pub fn user(user: &str) -> Self {
        let now = now();
        Self::from_claims(json!({"sub": user, "iat": now, "exp": now + 3600}))
    }

    /// A publisher token: like [`Token::user`] plus `role: "service"`.
    pub fn service(id: &str) -> Self {
        Self::user(id).claim("role", "service")
    }

    /// Any claim set (must be a JSON object).
    pub fn from_claims(claims: Value) -> Self {
        match claims {
            Value::Object(claims) => Self { claims },
            other => panic!("claims must be a JSON object, got {other}"),
        }
    }

    /// Sets one claim.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    /// Removes one claim (e.g. `exp` or `sub`).
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets `exp` to now + `seconds` (negative: already expired).
    pub fn expires_in(self, seconds: i64) -> Self {
        self.claim("exp", now() + seconds)
    }

    /// The claims as JSON.
    pub fn claims(&self) -> Value {
        Value::Object(self.claims.clone())
    }

    /// Signs with `alg` and `key` (any algorithm jsonwebtoken supports).
    pub fn sign(&self, alg: Algorithm, key: &EncodingKey) -> String {
        jsonwebtoken::encode(&Header::new(alg), &self.claims, key).expect("sign token")
    }

    /// HS256 with `secret`: what the server accepts by default.
    pub fn hs256(&self, secret: &str) -> String {
        self.sign(
            Algorithm::HS256,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
    }

    /// HS384 with `secret`: right key, wrong algorithm for an HS256-pinned server.
    pub fn hs384(&self, secret: &str) -> String {
        self.sign(
            Algorithm::HS384,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
    }

    /// RS256 with the test key [`RSA_PRIVATE_PEM`].
    pub fn rs256(&self) -> String {
        self.rs256_with(RSA_PRIVATE_PEM)
    }

    /// RS256 with a given RSA private key PEM.
    pub fn rs256_with(&self, private_pem: &str) -> String {
        let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).expect("RSA test key");
        self.sign(Algorithm::RS256, &key)
    }

    /// ES256 with the test key [`EC_PRIVATE_PEM`].
    pub fn es256(&self) -> String {
        let key = EncodingKey::from_ec_pem(EC_PRIVATE_PEM.as_bytes()).expect("EC test key");
        self.sign(Algorithm::ES256, &key)
    }

    /// An unsigned token: header `{"alg":"none","typ":"JWT"}` and an empty signature.
    pub fn alg_none(&self) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(self.claims().to_string());
        format!("{header}.{payload}.")
    }

    /// HS256-shaped but signed with a different secret than `secret`.
    pub fn with_bad_signature(&self, secret: &str) -> String {
        self.hs256(&format!("not-{secret}"))
    }
}

/// Replaces the payload of a signed `token` with `claims`, keeping its header and signature
/// (so the signature no longer matches).
pub fn tamper_payload(token: &str, claims: &Value) -> String {
    let mut parts = token.splitn(3, '.');
    let header = parts.next().expect("JWT header");
    let _payload = parts.next().expect("JWT payload");
    let signature = parts.next().expect("JWT signature");
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.{signature}")
}

/// Decodes a token's payload without verifying anything (to inspect what a CLI minted).
pub fn peek_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT payload");
    let bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

/// Decodes a token's header without verifying anything.
pub fn peek_header(token: &str) -> Value {
    let header = token.split('.').next().expect("JWT header");
    let bytes = URL_SAFE_NO_PAD.decode(header).expect("base64url header");
    serde_json::from_slice(&bytes).expect("JSON header")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn signs_with_every_algorithm_the_tests_use() {
        let token = Token::user("u1");
        let hs = token.hs256(TEST_SECRET);
        assert_eq!(peek_header(&hs)["alg"], "HS256");
        assert_eq!(peek_claims(&hs)["sub"], "u1");
        let decoded = jsonwebtoken::decode::<Value>(
            &hs,
            &DecodingKey::from_secret(TEST_SECRET.as_bytes()),
            &Validation::new(Algorithm::HS256),
        )
        .unwrap();
        assert_eq!(decoded.claims["sub"], "u1");

        let rs = token.rs256();
        let key = DecodingKey::from_rsa_pem(RSA_PUBLIC_PEM.as_bytes()).unwrap();
        jsonwebtoken::decode::<Value>(&rs, &key, &Validation::new(Algorithm::RS256)).unwrap();
        let other = token.rs256_with(RSA_OTHER_PRIVATE_PEM);
        assert!(
            jsonwebtoken::decode::<Value>(&other, &key, &Validation::new(Algorithm::RS256))
                .is_err()
        );

        let es = token.es256();
        let key = DecodingKey::from_ec_pem(EC_PUBLIC_PEM.as_bytes()).unwrap();
        jsonwebtoken::decode::<Value>(&es, &key, &Validation::new(Algorithm::ES256)).unwrap();

        assert_eq!(peek_header(&token.hs384(TEST_SECRET))["alg"], "HS384");
    }

    #[test]
    fn forged_tokens_look_forged() {
        let token = Token::user("u1");
        let none = token.alg_none();
        assert!(none.ends_with('.'));
        assert_eq!(peek_header(&none)["alg"], "none");
        let tampered = tamper_payload(&token.hs256(TEST_SECRET), &json!({"sub": "admin"}));
        assert_eq!(peek_claims(&tampered)["sub"], "admin");
        let key = DecodingKey::from_secret(TEST_SECRET.as_bytes());
        let validation = Validation::new(Algorithm::HS256);
        assert!(jsonwebtoken::decode::<Value>(&tampered, &key, &validation).is_err());
        let bad = token.with_bad_signature(TEST_SECRET);
        assert!(jsonwebtoken::decode::<Value>(&bad, &key, &validation).is_err());
        let expired = token.clone().expires_in(-3600).hs256(TEST_SECRET);
        assert!(jsonwebtoken::decode::<Value>(&expired, &key, &validation).is_err());
        assert!(
            Token::user("u")
                .without("exp")
                .claims()
                .get("exp")
                .is_none()
        );
    }
}
