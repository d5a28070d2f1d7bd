//! Links that open an account (verify, reset, change the address) wait in the outbox sealed:
//! AES-256-GCM under a key derived from `secret_key`, so a reader of the database (or of a backup)
//! cannot use them. The worker opens a link just before it sends the mail.

use std::sync::Arc;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Seals and opens the links of queued mails.
#[derive(Clone)]
pub struct LinkSeal {
    key: Arc<LessSafeKey>,
}

impl LinkSeal {
    /// The key is HMAC-SHA256(secret_key, purpose): its own key, unrelated to the form tokens'.
    pub fn new(secret_key: &str) -> anyhow::Result<Self> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret_key.as_bytes())
            .map_err(|_| anyhow::anyhow!("secret_key cannot key an HMAC"))?;
        mac.update(b"buergerportal mail links v1");
        let key = UnboundKey::new(&AES_256_GCM, &mac.finalize().into_bytes())
            .map_err(|_| anyhow::anyhow!("cannot make the mail link key"))?;
        Ok(Self {
            key: Arc::new(LessSafeKey::new(key)),
        })
    }

    /// A random nonce, the ciphertext and its tag, URL-safe base64.
    pub fn seal(&self, link: &str) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce);
        let mut sealed = link.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut sealed)
            .map_err(|_| anyhow::anyhow!("cannot seal a mail link"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    /// The link, or `None` if `sealed` was changed or sealed under another key.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let (nonce, rest) = bytes.split_at_checked(NONCE_LEN)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut rest = rest.to_vec();
        let link = self.key.open_in_place(nonce, Aad::empty(), &mut rest).ok()?;
        String::from_utf8(link.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "a secret key of at least thirty-two characters";

    #[test]
    fn a_sealed_link_opens_only_unchanged_and_under_its_own_key() {
        let seal = LinkSeal::new(KEY).unwrap();
        let link = "https://portal.example/passwort-neu?token=abc";
        let sealed = seal.seal(link).unwrap();
        assert!(!sealed.contains("abc") && !sealed.contains("token"));
        assert_ne!(sealed, seal.seal(link).unwrap(), "each seal has its own nonce");
        assert_eq!(seal.open(&sealed).as_deref(), Some(link));

        let other = LinkSeal::new("another secret key of at least thirty-two characters").unwrap();
        assert_eq!(other.open(&sealed), None);
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(seal.open(&String::from_utf8(tampered).unwrap()), None);
        assert_eq!(seal.open("kurz"), None);
    }
}
