//! Where uploaded files live: the local file system under the data
//! directory by default, an S3-compatible bucket by configuration (through
//! the `object_store` crate). No object is public: the server streams it
//! only through a short-lived signed link (see [`LinkSigner`]) that it
//! checks itself, together with the bearer of the request.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::StorageConfig;
use crate::error::{AppError, AppResult};

type HmacSha256 = Hmac<Sha256>;

/// The configured object store and the upload limits.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// Largest accepted file, in bytes.
    pub max_file_bytes: usize,
    /// Most files in one request.
    pub max_files: usize,
    /// How long an issued download link stays valid.
    pub link_ttl: Duration,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("store", &self.store.to_string())
            .finish_non_exhaustive()
    }
}

impl Storage {
    /// Opens the store `config` names: an `s3://bucket` URL, or the local
    /// directory `<data dir>/files` (created when missing).
    pub fn open(config: &StorageConfig, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = match &config.url {
            Some(url) => {
                let bucket = url
                    .strip_prefix("s3://")
                    .map(|b| b.trim_end_matches('/'))
                    .filter(|b| !b.is_empty() && !b.contains('/'))
                    .ok_or_else(|| anyhow::anyhow!("SWITCHBOARD_STORAGE_URL: expected s3://bucket"))?;
                let mut b = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_region(config.s3_region.clone().unwrap_or_else(|| "us-east-1".into()));
                if let Some(endpoint) = &config.s3_endpoint {
                    b = b
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                if let (Some(id), Some(secret)) = (&config.s3_access_key_id, &config.s3_secret_access_key) {
                    b = b.with_access_key_id(id).with_secret_access_key(secret);
                }
                Arc::new(b.build()?)
            }
            None => {
                let dir = data_dir.join("files");
                std::fs::create_dir_all(&dir)?;
                Arc::new(object_store::local::LocalFileSystem::new_with_prefix(&dir)?.with_automatic_cleanup(true))
            }
        };
        Ok(Storage {
            store,
            max_file_bytes: config.max_file_bytes,
            max_files: config.max_files,
            link_ttl: config.link_ttl,
        })
    }

    /// Writes `bytes` under `key` (keys are server-made: `<prefix>/<uuid>`).
    pub async fn put(&self, key: &str, bytes: Bytes) -> AppResult<()> {
        self.store
            .put(&ObjectPath::from(key), PutPayload::from_bytes(bytes))
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("storing an object: {e}")))?;
        Ok(())
    }

    /// Reads the object under `key`.
    pub async fn get(&self, key: &str) -> AppResult<Bytes> {
        let got = self.store.get(&ObjectPath::from(key)).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => AppError::NotFound("file".into()),
            e => AppError::internal(anyhow::anyhow!("reading an object: {e}")),
        })?;
        got.bytes()
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("reading an object: {e}")))
    }

    /// Whether an object exists under `key` (tests and clean-up checks).
    pub async fn exists(&self, key: &str) -> AppResult<bool> {
        match self.store.head(&ObjectPath::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(AppError::internal(anyhow::anyhow!("checking an object: {e}"))),
        }
    }

    /// Deletes objects, logging (not failing on) errors: used to clean up
    /// after a transaction that did not commit, so no orphan stays.
    pub async fn delete_all(&self, keys: &[String]) {
        for key in keys {
            match self.store.delete(&ObjectPath::from(key.as_str())).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => tracing::warn!(key = %key, error = %e, "an uploaded object could not be removed"),
            }
        }
    }
}

/// The kinds of file accepted, judged from their first bytes only.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// SHA-256 of `bytes`, lower-case hex (the stored checksum).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Signs and checks download links. The key is derived from the master
/// key (HMAC of a fixed label), so the raw key never signs anything else.
#[derive(Clone)]
pub struct LinkSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(..)")
    }
}

/// Why a link was refused (the route answers 403 for all of them).
#[derive(Debug, PartialEq, Eq)]
pub enum LinkError {
    /// The signature does not match (tampered, or issued to another user).
    BadSignature,
    /// Past its expiry.
    Expired,
}

impl LinkSigner {
    /// Derives the link key from the master key.
    pub fn derive(master: &[u8; 32]) -> Self {
        let mut mac = keyed(master);
        mac.update(b"switchboard/file-links/v1");
        let key: [u8; 32] = mac.finalize().into_bytes().into();
        LinkSigner { key }
    }

    fn mac(&self, file_id: Uuid, user_id: Uuid, expires: i64) -> HmacSha256 {
        let mut mac = keyed(&self.key);
        mac.update(format!("{file_id}\n{user_id}\n{expires}").as_bytes());
        mac
    }

    /// The hex signature of a link to `file_id` for `user_id` until `expires`
    /// (Unix seconds).
    pub fn sign(&self, file_id: Uuid, user_id: Uuid, expires: i64) -> String {
        self.mac(file_id, user_id, expires)
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// `/files/{id}?expires=..&sig=..`, valid for `ttl` from now.
    pub fn link(&self, file_id: Uuid, user_id: Uuid, ttl: Duration) -> String {
        let expires = chrono::Utc::now().timestamp() + ttl.as_secs() as i64;
        format!(
            "/files/{file_id}?expires={expires}&sig={}",
            self.sign(file_id, user_id, expires)
        )
    }

    /// Checks a link's signature (in constant time) and then its expiry.
    pub fn verify(&self, file_id: Uuid, user_id: Uuid, expires: i64, sig: &str) -> Result<(), LinkError> {
        let Some(raw) = decode_hex(sig) else {
            return Err(LinkError::BadSignature);
        };
        self.mac(file_id, user_id, expires)
            .verify_slice(&raw)
            .map_err(|_| LinkError::BadSignature)?;
        if expires < chrono::Utc::now().timestamp() {
            return Err(LinkError::Expired);
        }
        Ok(())
    }
}

/// HMAC-SHA256 under a 32-byte key (zero-padded to the block size, as
/// HMAC itself pads it; infallible, unlike `new_from_slice`).
fn keyed(key: &[u8; 32]) -> HmacSha256 {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    <HmacSha256 as KeyInit>::new(&block.into())
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_bytes_only() {
        assert_eq!(sniff(b"%PDF-1.7 ..."), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(sniff(b"<html>"), None);
    }

    #[test]
    fn links_bind_file_user_and_expiry() {
        let s = LinkSigner::derive(&[3u8; 32]);
        let (f, u, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let exp = chrono::Utc::now().timestamp() + 60;
        let sig = s.sign(f, u, exp);
        assert_eq!(s.verify(f, u, exp, &sig), Ok(()));
        assert_eq!(s.verify(f, other, exp, &sig), Err(LinkError::BadSignature));
        assert_eq!(s.verify(other, u, exp, &sig), Err(LinkError::BadSignature));
        assert_eq!(s.verify(f, u, exp + 1, &sig), Err(LinkError::BadSignature));
        let past = exp - 120;
        assert_eq!(s.verify(f, u, past, &s.sign(f, u, past)), Err(LinkError::Expired));
        assert_ne!(LinkSigner::derive(&[4u8; 32]).sign(f, u, exp), sig);
    }
}
