//! Secrets Sharepack hands out (session ids, API tokens, setup links) and the passwords it
//! keeps. Handed-out secrets are 32 random bytes and only their SHA-256 is stored: at 256 bits
//! a slow hash adds nothing, and a plain digest can be looked up by index. Passwords are
//! people's, so they get Argon2id, a memory-hard hash.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// API tokens start with this, so secret scanners and people recognise a leaked one.
pub const TOKEN_PREFIX: &str = "spk_";

/// Shortest password accepted (NIST SP 800-63B asks for at least 8; we ask more).
pub const MIN_PASSWORD: usize = 12;
/// Longest password accepted: hashing has a cost, and nobody types more.
pub const MAX_PASSWORD: usize = 256;

/// A secret just made: shown once, never logged (its `Debug` says nothing).
#[derive(Clone, PartialEq, Eq)]
pub struct Fresh(String);

impl Fresh {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What is stored instead of the secret.
    pub fn digest(&self) -> String {
        digest(&self.0)
    }
}

impl std::fmt::Debug for Fresh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fresh(***)")
    }
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    // The operating system's generator; without it nothing secret can be made at all.
    getrandom::fill(&mut bytes).unwrap_or_else(|error| panic!("the operating system's random generator failed: {error}"));
    bytes
}

/// A random, URL-safe secret (session ids, setup links, sign-in states).
pub fn random() -> Fresh {
    Fresh(URL_SAFE_NO_PAD.encode(random_bytes()))
}

/// A new API token: the prefix, 32 random bytes and a CRC-32 of them, so a mistyped token is
/// refused without a database read.
pub fn token() -> Fresh {
    let bytes = random_bytes();
    Fresh(format!("{TOKEN_PREFIX}{}{}", URL_SAFE_NO_PAD.encode(bytes), URL_SAFE_NO_PAD.encode(crc32fast::hash(&bytes).to_be_bytes())))
}

/// Whether text has the shape of a token this portal made (prefix, length, checksum).
pub fn is_token(text: &str) -> bool {
    let Some(body) = text.strip_prefix(TOKEN_PREFIX) else { return false };
    if body.len() != 49 || !body.is_char_boundary(43) {
        return false;
    }
    let (random, check) = body.split_at(43);
    match (URL_SAFE_NO_PAD.decode(random), URL_SAFE_NO_PAD.decode(check)) {
        (Ok(random), Ok(check)) => check == crc32fast::hash(&random).to_be_bytes(),
        _ => false,
    }
}

/// The first characters of a token, enough to tell tokens apart in a list.
pub fn token_hint(token: &str) -> String {
    format!("{}…", token.chars().take(TOKEN_PREFIX.len() + 6).collect::<String>())
}

/// SHA-256, hex: what is stored of a handed-out secret.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A password that may be kept, or why not.
pub fn check_password(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_PASSWORD {
        return Err(format!("A password needs at least {MIN_PASSWORD} characters; this one has {length}"));
    }
    if length > MAX_PASSWORD {
        return Err(format!("A password may have at most {MAX_PASSWORD} characters"));
    }
    Ok(())
}

/// At most this many Argon2 hashes at once (19 MiB each): sign-in floods queue, not exhaust memory.
pub static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Argon2id with the crate's defaults (19 MiB, 2 passes), as a PHC string.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::encode_b64(&random_bytes()[..16]).map_err(|error| error.to_string())?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string()).map_err(|error| error.to_string())
}

/// Checks a password against a stored hash; `None` (no such account, or no password) costs the
/// same as a wrong password, so timing does not tell which accounts exist.
pub fn verify_password(stored: Option<&str>, password: &str) -> bool {
    static DECOY: LazyLock<String> = LazyLock::new(|| hash_password("decoy password never used").unwrap_or_default());
    let candidate = password.chars().take(MAX_PASSWORD).collect::<String>();
    let hash = stored.unwrap_or(DECOY.as_str());
    let matches = PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(candidate.as_bytes(), &parsed).is_ok());
    matches && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_a_checksum() {
        let made = token();
        assert!(is_token(made.expose()), "{}", made.expose());
        let mut typo = made.expose().to_string();
        let flipped = if typo.ends_with('A') { 'B' } else { 'A' };
        typo.pop();
        typo.push(flipped);
        assert!(!is_token(&typo));
        assert!(!is_token("spk_short"));
        assert!(!is_token(random().expose()));
        assert_ne!(token(), made);
        assert_eq!(format!("{made:?}"), "Fresh(***)");
        assert!(token_hint(made.expose()).starts_with("spk_") && token_hint(made.expose()).chars().count() == 11);
    }

    #[test]
    fn passwords_are_hashed_and_verified() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(Some(&hash), "correct horse battery"));
        assert!(!verify_password(Some(&hash), "correct horse batterY"));
        assert!(!verify_password(None, "decoy password never used"));
        assert!(!verify_password(Some("not a hash"), "anything"));
        assert!(check_password("short").unwrap_err().contains("at least 12"));
        assert!(check_password("long enough now").is_ok());
    }

    #[test]
    fn digests_are_hex_sha256() {
        assert_eq!(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
