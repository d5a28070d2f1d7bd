//! The two JOSE operations FIT-Connect needs, over aws-lc-rs (constant-time, already in the build
//! through rustls): encrypting to a destination's RSA key as a compact JWE (RSA-OAEP-256 + A256GCM,
//! RFC 7516) and verifying a Security Event Token signed PS512 (RFC 7515). No crate offers
//! RSA-OAEP-256 without OpenSSL or a pre-release `rsa` (see `../shared/reference/stack.md`, §6).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey, PublicKeyComponents};
use aws_lc_rs::signature::RSA_PSS_2048_8192_SHA512;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};

/// RSA-OAEP-256 keys of fewer bits are refused (FIT-Connect requires 4096; `n` has 683 characters).
const MIN_MODULUS_CHARS: usize = 683;

/// A destination's public encryption key, from its JWK.
pub struct EncryptionKey {
    kid: String,
    key: OaepPublicEncryptingKey,
}

impl EncryptionKey {
    pub fn from_jwk(jwk: &Value) -> Result<Self, String> {
        let text = |name: &str| jwk.get(name).and_then(Value::as_str);
        if text("kty") != Some("RSA") || text("alg").is_some_and(|alg| alg != "RSA-OAEP-256") {
            return Err("the destination key is not an RSA-OAEP-256 key".into());
        }
        let (Some(kid), Some(n), Some(e)) = (text("kid"), text("n"), text("e")) else {
            return Err("the destination key lacks kid, n or e".into());
        };
        if n.len() < MIN_MODULUS_CHARS || e != "AQAB" {
            return Err("the destination key is shorter than 4096 bits or has an unusual exponent".into());
        }
        let n = B64.decode(n).map_err(|_| "the destination key's n is not base64url")?;
        let e = B64.decode(e).map_err(|_| "the destination key's e is not base64url")?;
        let public: PublicEncryptingKey = PublicKeyComponents {
            n: n.as_slice(),
            e: e.as_slice(),
        }
        .try_into()
        .map_err(|_| "the destination key is not a valid RSA key")?;
        let key = OaepPublicEncryptingKey::new(public).map_err(|_| "the destination key cannot encrypt")?;
        Ok(Self {
            kid: kid.to_owned(),
            key,
        })
    }

    /// A compact JWE of `plaintext` for this key; `cty` names the content type of JSON payloads.
    pub fn encrypt(&self, plaintext: &[u8], cty: Option<&str>) -> Result<String, String> {
        let mut header = json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": self.kid});
        if let Some(cty) = cty {
            header["cty"] = json!(cty);
        }
        let protected = B64.encode(header.to_string());
        let random = SystemRandom::new();
        let (mut cek, mut iv) = ([0u8; 32], [0u8; 12]);
        random.fill(&mut cek).map_err(|_| "no randomness")?;
        random.fill(&mut iv).map_err(|_| "no randomness")?;
        let mut wrapped = vec![0u8; self.key.ciphertext_size()];
        let wrapped = self
            .key
            .encrypt(&OAEP_SHA256_MGF1SHA256, &cek, &mut wrapped, None)
            .map_err(|_| "wrapping the content key failed")?;
        let aes = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).map_err(|_| "bad content key")?);
        let mut ciphertext = plaintext.to_vec();
        let tag = aes
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(iv),
                Aad::from(protected.as_bytes()),
                &mut ciphertext,
            )
            .map_err(|_| "encrypting failed")?;
        Ok(format!(
            "{protected}.{}.{}.{}.{}",
            B64.encode(wrapped),
            B64.encode(iv),
            B64.encode(ciphertext),
            B64.encode(tag.as_ref())
        ))
    }
}

/// The authentication tag of a compact JWE (its last part), as a receiver echoes it when it accepts.
pub fn authentication_tag(jwe: &str) -> &str {
    jwe.rsplit('.').next().unwrap_or_default()
}

/// The `kid` of a compact JWS, to find the key that verifies it.
pub fn signing_kid(jws: &str) -> Option<String> {
    let header = B64.decode(jws.split('.').next()?).ok()?;
    let header: Value = serde_json::from_slice(&header).ok()?;
    (header.get("alg")? == "PS512").then(|| header.get("kid")?.as_str().map(str::to_owned))?
}

/// The claims of a compact JWS signed PS512 by the RSA key `jwk`; `None` when the signature, the
/// algorithm or the key does not hold.
pub fn verified_claims(jws: &str, jwk: &Value) -> Option<Value> {
    let mut parts = jws.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header_json: Value = serde_json::from_slice(&B64.decode(header).ok()?).ok()?;
    if header_json.get("alg")? != "PS512" {
        return None;
    }
    let n = B64.decode(jwk.get("n")?.as_str()?).ok()?;
    let e = B64.decode(jwk.get("e")?.as_str()?).ok()?;
    let signature = B64.decode(signature).ok()?;
    PublicKeyComponents {
        n: n.as_slice(),
        e: e.as_slice(),
    }
    .verify(
        &RSA_PSS_2048_8192_SHA512,
        format!("{header}.{payload}").as_bytes(),
        &signature,
    )
    .ok()?;
    serde_json::from_slice(&B64.decode(payload).ok()?).ok()
}
