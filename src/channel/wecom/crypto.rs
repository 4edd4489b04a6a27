//! WeCom's callback cryptography (企业微信 "加解密方案", the `WXBizMsgCrypt` scheme), from the
//! official server API documentation:
//!
//! - `msg_signature` = hex SHA-1 of the sorted, concatenated [token, timestamp, nonce,
//!   ciphertext], compared in constant time;
//! - AES key = base64(EncodingAESKey + "="), 32 bytes (decoded leniently: the
//!   documentation's own sample key has non-zero padding bits in its last character);
//! - AES-256-CBC, IV = the key's first 16 bytes, PKCS#7 padding to a multiple of 32 bytes;
//! - plaintext = 16 random bytes, the message length (4 bytes, big-endian), the message
//!   (XML, or the echo string), the receiver id (the corp id), which must match.

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use sha1::{Digest, Sha1};

/// PKCS#7 pads to this block size in WeCom's scheme (twice AES's block).
const PAD_BLOCK: usize = 32;

/// Base64 that accepts non-zero trailing bits, for EncodingAESKeys as WeCom issues them.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the EncodingAESKey must be 43 characters of base64 (a 32-byte key): {0}")]
    BadKey(String),
    #[error("the signature does not match")]
    Signature,
    #[error("the ciphertext is not base64: {0}")]
    Base64(String),
    #[error("the ciphertext is not a whole number of AES blocks")]
    Blocks,
    #[error("the decrypted message is malformed: {0}")]
    Malformed(&'static str),
    #[error("the message is for another receiver")]
    Receiver,
}

/// The crypto of one WeCom app's callback (its Token, EncodingAESKey and the corp id).
#[derive(Clone)]
pub struct WecomCrypto {
    token: String,
    key: [u8; 32],
    receiver_id: String,
}

impl std::fmt::Debug for WecomCrypto {
    // The token and the key are secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WecomCrypto")
            .field("receiver_id", &self.receiver_id)
            .finish_non_exhaustive()
    }
}

type Encryptor = cbc::Encryptor<aes::Aes256>;
type Decryptor = cbc::Decryptor<aes::Aes256>;

impl WecomCrypto {
    pub fn new(
        token: &str,
        encoding_aes_key: &str,
        receiver_id: &str,
    ) -> Result<Self, CryptoError> {
        if encoding_aes_key.len() != 43 {
            return Err(CryptoError::BadKey(format!(
                "{} characters",
                encoding_aes_key.chars().count()
            )));
        }
        let bytes = LENIENT
            .decode(format!("{encoding_aes_key}="))
            .map_err(|e| CryptoError::BadKey(e.to_string()))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| CryptoError::BadKey("not 32 bytes".into()))?;
        Ok(Self {
            token: token.to_string(),
            key,
            receiver_id: receiver_id.to_string(),
        })
    }

    /// The `msg_signature` of a ciphertext.
    pub fn signature(&self, timestamp: &str, nonce: &str, ciphertext: &str) -> String {
        let mut parts = [self.token.as_str(), timestamp, nonce, ciphertext];
        parts.sort_unstable();
        let mut sha = Sha1::new();
        for p in parts {
            sha.update(p.as_bytes());
        }
        hex::encode(sha.finalize())
    }

    /// Checks `msg_signature` in time that does not depend on where it differs.
    pub fn verify(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        ciphertext: &str,
    ) -> Result<(), CryptoError> {
        let expected = self.signature(timestamp, nonce, ciphertext);
        let given = msg_signature.to_ascii_lowercase();
        let same = expected.len() == given.len()
            && expected
                .bytes()
                .zip(given.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if same {
            Ok(())
        } else {
            Err(CryptoError::Signature)
        }
    }

    /// Decrypts a ciphertext (base64) and checks its receiver id; the message inside.
    pub fn decrypt(&self, ciphertext: &str) -> Result<String, CryptoError> {
        let mut buf = STANDARD
            .decode(ciphertext.trim())
            .map_err(|e| CryptoError::Base64(e.to_string()))?;
        if buf.is_empty() || buf.len() % 16 != 0 {
            return Err(CryptoError::Blocks);
        }
        let iv: [u8; 16] = self.key[..16].try_into().map_err(|_| CryptoError::Blocks)?;
        let plain = Decryptor::new(&self.key.into(), &iv.into())
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| CryptoError::Blocks)?;
        let pad = usize::from(*plain.last().ok_or(CryptoError::Malformed("empty"))?);
        if pad == 0 || pad > PAD_BLOCK || pad > plain.len() {
            return Err(CryptoError::Malformed("bad padding"));
        }
        let plain = &plain[..plain.len() - pad];
        if plain.len() < 20 {
            return Err(CryptoError::Malformed("shorter than its header"));
        }
        let len = u32::from_be_bytes([plain[16], plain[17], plain[18], plain[19]]) as usize;
        let rest = &plain[20..];
        if len > rest.len() {
            return Err(CryptoError::Malformed("length beyond the message"));
        }
        let (message, receiver) = rest.split_at(len);
        if receiver != self.receiver_id.as_bytes() {
            return Err(CryptoError::Receiver);
        }
        String::from_utf8(message.to_vec()).map_err(|_| CryptoError::Malformed("not UTF-8"))
    }

    /// Encrypts `message` with the 16 `random` bytes in front (base64).
    pub fn encrypt(&self, message: &str, random: [u8; 16]) -> String {
        let mut plain = Vec::with_capacity(message.len() + 64);
        plain.extend_from_slice(&random);
        plain.extend_from_slice(&(message.len() as u32).to_be_bytes());
        plain.extend_from_slice(message.as_bytes());
        plain.extend_from_slice(self.receiver_id.as_bytes());
        let pad = PAD_BLOCK - plain.len() % PAD_BLOCK;
        plain.extend(std::iter::repeat_n(pad as u8, pad));
        let iv: [u8; 16] = self.key[..16].try_into().unwrap_or([0; 16]);
        let len = plain.len();
        let encrypted = Encryptor::new(&self.key.into(), &iv.into())
            .encrypt_padded_mut::<NoPadding>(&mut plain, len)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        STANDARD.encode(encrypted)
    }

    /// GET URL verification: the echo string's plaintext, to answer as is.
    pub fn verify_url(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        echostr: &str,
    ) -> Result<String, CryptoError> {
        self.verify(msg_signature, timestamp, nonce, echostr)?;
        self.decrypt(echostr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of WeCom's documentation (and of its sample code): the app's Token,
    /// EncodingAESKey and corp id, and a URL verification request.
    const TOKEN: &str = "QDG6eK";
    const AES_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    const CORP_ID: &str = "wx5823bf96d3bd56c7";
    const SIGNATURE: &str = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3";
    const TIMESTAMP: &str = "1409659589";
    const NONCE: &str = "263014780";
    const ECHOSTR: &str =
        "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";

    fn crypto() -> WecomCrypto {
        WecomCrypto::new(TOKEN, AES_KEY, CORP_ID).expect("the documentation's key")
    }

    #[test]
    fn the_documentations_example() {
        let c = crypto();
        assert_eq!(c.signature(TIMESTAMP, NONCE, ECHOSTR), SIGNATURE);
        assert_eq!(
            c.verify_url(SIGNATURE, TIMESTAMP, NONCE, ECHOSTR),
            Ok("1616140317555161061".to_string())
        );
        assert_eq!(
            c.verify_url(&SIGNATURE.replace('5', "6"), TIMESTAMP, NONCE, ECHOSTR),
            Err(CryptoError::Signature)
        );
        assert_eq!(
            c.verify_url(SIGNATURE, TIMESTAMP, "263014781", ECHOSTR),
            Err(CryptoError::Signature)
        );
    }

    #[test]
    fn encrypt_then_decrypt_round_trips_any_length() {
        let c = crypto();
        for n in [0usize, 1, 11, 12, 31, 32, 33, 100, 4096] {
            let message: String = "微".repeat(n / 3) + &"x".repeat(n % 3);
            let ct = c.encrypt(&message, [7; 16]);
            assert_eq!(c.decrypt(&ct), Ok(message.clone()), "{n}");
        }
    }

    #[test]
    fn another_receiver_or_damage_is_refused() {
        let ours = crypto();
        let other = WecomCrypto::new(TOKEN, AES_KEY, "wwanothercorp").unwrap();
        let ct = other.encrypt("<xml/>", [1; 16]);
        assert_eq!(ours.decrypt(&ct), Err(CryptoError::Receiver));
        assert!(matches!(
            ours.decrypt("not base64!"),
            Err(CryptoError::Base64(_))
        ));
        assert_eq!(ours.decrypt("AAAA"), Err(CryptoError::Blocks));
        let mut damaged = STANDARD.decode(ours.encrypt("<xml/>", [1; 16])).unwrap();
        let last = damaged.len() - 1;
        damaged[last] ^= 0xff;
        assert!(ours.decrypt(&STANDARD.encode(damaged)).is_err());
    }

    #[test]
    fn keys_are_checked_and_never_shown() {
        assert!(matches!(
            WecomCrypto::new(TOKEN, "short", CORP_ID),
            Err(CryptoError::BadKey(_))
        ));
        let shown = format!("{:?}", crypto());
        assert!(
            !shown.contains(TOKEN) && !shown.contains("jWmYm7"),
            "{shown}"
        );
    }
}
