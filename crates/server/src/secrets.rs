//! Secrets: API keys, session tokens and passwords.
//!
//! Each secret has its own type whose `Debug` prints a placeholder, so a
//! secret cannot reach a log by accident. API keys and session tokens are
//! random 256-bit values stored only as SHA-256 digests: their entropy makes
//! a slow hash unnecessary, and a fast one keeps authenticating a request
//! cheap. Passwords, chosen by people, are stored as argon2id hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Prefix of every API key, so a leaked key is easy to recognize in a scan.
pub const API_KEY_PREFIX: &str = "hdrm_";
/// Length of an API key: the prefix plus 43 base64url characters (256 bits).
pub const API_KEY_LEN: usize = API_KEY_PREFIX.len() + 43;
/// How many leading characters of a key are stored in clear to tell keys apart.
pub const API_KEY_VISIBLE_PREFIX_LEN: usize = API_KEY_PREFIX.len() + 6;

fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).expect("the operating system's random source failed");
    URL_SAFE_NO_PAD.encode(buffer)
}

/// Returns the hex SHA-256 digest of a token, the form stored in the database.
pub fn digest(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(left: &str, right: &str) -> bool {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    if left.len() != right.len() {
        return false;
    }
    left.iter()
        .zip(right)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

/// An API key in clear, as shown once when it is issued or sent by a caller.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn generate() -> ApiKey {
        ApiKey(format!("{API_KEY_PREFIX}{}", random_token(32)))
    }

    /// Accepts a key sent by a caller if it has the shape of a Headroom key.
    pub fn parse(text: &str) -> Option<ApiKey> {
        let well_formed = text.len() == API_KEY_LEN
            && text.starts_with(API_KEY_PREFIX)
            && text[API_KEY_PREFIX.len()..]
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        well_formed.then(|| ApiKey(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> String {
        digest(&self.0)
    }

    pub fn visible_prefix(&self) -> String {
        self.0[..API_KEY_VISIBLE_PREFIX_LEN].to_owned()
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// A session token in clear, as carried by the session cookie.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    pub fn generate() -> SessionToken {
        SessionToken(random_token(32))
    }

    pub fn from_cookie(value: &str) -> SessionToken {
        SessionToken(value.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> String {
        digest(&self.0)
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// Returns a new token for the `X-CSRF-Token` header of a session.
pub fn generate_csrf_token() -> String {
    random_token(16)
}

/// A password in clear, as typed by a person.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(text: impl Into<String>) -> Password {
        Password(text.into())
    }

    /// Returns a random password of 20 base64url characters (120 bits).
    pub fn generate() -> Password {
        Password(random_token(15))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Hashes the password with argon2id and a random salt, in PHC string form.
    pub fn hash(&self) -> Result<String, argon2::password_hash::Error> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).expect("the operating system's random source failed");
        let salt = SaltString::encode_b64(&salt)?;
        Ok(Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)?
            .to_string())
    }

    /// Checks the password against a stored PHC hash. A malformed hash never matches.
    pub fn verify(&self, stored_hash: &str) -> bool {
        PasswordHash::new(stored_hash)
            .map(|hash| {
                Argon2::default()
                    .verify_password(self.0.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false)
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_shape_round_trips() {
        let key = ApiKey::generate();
        assert_eq!(key.expose().len(), API_KEY_LEN);
        assert_eq!(ApiKey::parse(key.expose()), Some(key.clone()));
        assert_eq!(key.visible_prefix().len(), API_KEY_VISIBLE_PREFIX_LEN);
    }

    #[test]
    fn api_key_parse_rejects_malformed() {
        let good = ApiKey::generate().expose().to_owned();
        let cases = [
            String::new(),
            "hdrm_".to_owned(),
            good[..good.len() - 1].to_owned(),
            format!("{good}x"),
            good.replacen("hdrm_", "xxxx_", 1),
            format!("{}!", &good[..good.len() - 1]),
        ];
        for case in cases {
            assert_eq!(ApiKey::parse(&case), None, "{case:?}");
        }
    }

    #[test]
    fn secrets_debug_redacted() {
        let key = ApiKey::generate();
        let token = SessionToken::generate();
        let password = Password::new("correct horse");
        for printed in [format!("{key:?}"), format!("{token:?}"), format!("{password:?}")] {
            assert!(printed.contains("<redacted>"), "{printed}");
        }
        assert!(!format!("{key:?}").contains(key.expose()));
        assert!(!format!("{password:?}").contains("correct horse"));
    }

    #[test]
    fn password_hash_verifies() {
        let password = Password::new("correct horse");
        let hash = password.hash().unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(password.verify(&hash));
        assert!(!Password::new("wrong horse").verify(&hash));
        assert!(!password.verify("not a hash"));
    }

    #[test]
    fn constant_time_eq_cases() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
