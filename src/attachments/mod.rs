//! Evidence files, from the upload to the store: a file is streamed into a spool file (never whole
//! in memory), checked (not too large, not empty, a type the field accepts by its content, name and
//! declared type agreeing with it), scanned for malware, and only then kept in the attachment
//! store under a random key. The store is a directory (`<data_dir>/files`) or S3-compatible object
//! storage, both through `object_store`.

pub mod scanner;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::web::Bytes;
use anyhow::Context;
use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub use scanner::Scanner;
use scanner::Verdict;

use crate::db::{Db, attachments};
use crate::domain::FileType;
use crate::domain::evidence::{UploadedFile, clean_file_name};

/// Enough of a file's start to tell its type.
const HEAD_BYTES: usize = 8 * 1024;
/// Parts of this size go to the store one at a time (S3's smallest multipart part is 5 MiB).
const PART_BYTES: usize = 5 * 1024 * 1024;

pub struct Attachments {
    store: Arc<dyn ObjectStore>,
    scanner: Scanner,
    spool: PathBuf,
}

/// Why a file was not kept; each is told to the citizen at the file field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    TooLarge {
        max_bytes: u64,
    },
    Empty,
    /// The content is none of the accepted types.
    WrongType,
    /// Name ending or declared type say something else than the content.
    Mismatch(FileType),
    Infected,
    /// Not scanned (scanner down or slow) or not stored (store down): nothing kept, try later.
    NotNow,
    /// The upload broke off before the file's end.
    Incomplete,
    /// The field has its files already.
    TooMany {
        max_files: usize,
    },
    /// All files of the application together would be too large.
    TotalTooLarge {
        max_bytes: u64,
    },
    /// Too many files from this account or address within the hour.
    TooOften,
}

/// A file that passed every check and is in the store.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub file: UploadedFile,
    pub storage_key: String,
    /// What scanned it: `clamd`, or `off`.
    pub scanned_by: &'static str,
}

impl Attachments {
    /// The store `setting` names (see `attachment_store`), spool files under `<data_dir>/spool`.
    /// Spool files older than an hour are removed here: a process that stopped mid-upload left
    /// them (younger ones may be uploads of another process sharing the data directory). Fails
    /// when the store cannot be reached.
    pub async fn new(data_dir: &Path, setting: &str, scanner: Scanner) -> anyhow::Result<Self> {
        let spool = data_dir.join("spool");
        std::fs::create_dir_all(&spool).with_context(|| format!("cannot create {}", spool.display()))?;
        let left_behind = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for entry in std::fs::read_dir(&spool)?.flatten() {
            if entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| at < left_behind)
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let store = store(data_dir, setting)?;
        store
            .list_with_delimiter(None)
            .await
            .with_context(|| format!("attachment_store {setting:?} cannot be reached"))?;
        Ok(Self { store, scanner, spool })
    }

    /// A path for a new spool file (of an upload, or of a ZIP being put together).
    pub fn spool_path(&self, ending: &str) -> PathBuf {
        self.spool.join(format!("{}.{ending}", uuid::Uuid::new_v4()))
    }

    /// Receives one file of a field that accepts `accept`, each at most `max_bytes`. The body is
    /// read to its end even when the file is refused early (so the rest of the form arrives), but
    /// nothing past the limit is kept.
    pub async fn receive<S, E>(
        &self,
        sent_name: &str,
        declared_type: Option<&str>,
        body: S,
        accept: &[FileType],
        max_bytes: u64,
    ) -> Result<Accepted, Refusal>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        let spooled = self.spool(body, max_bytes).await?;
        let name = clean_file_name(sent_name);
        if spooled.size == 0 {
            return Err(Refusal::Empty);
        }
        let Some(file_type) = FileType::of_content(&spooled.head).filter(|t| accept.contains(t)) else {
            return Err(Refusal::WrongType);
        };
        let declared_fits = declared_type.is_none_or(|declared| {
            declared == file_type.mime() || declared == "application/octet-stream" || declared.is_empty()
        });
        if !file_type.fits_name(&name) || !declared_fits {
            return Err(Refusal::Mismatch(file_type));
        }
        match self.scanner.scan(&spooled.path.0).await {
            Ok(Verdict::Clean) => {}
            Ok(Verdict::Infected(signature)) => {
                tracing::warn!(%signature, "an uploaded file carried malware and was refused");
                return Err(Refusal::Infected);
            }
            Err(e) => {
                tracing::error!(error = %e, "an upload could not be scanned and was refused");
                return Err(Refusal::NotNow);
            }
        }
        let storage_key = uuid::Uuid::new_v4().to_string();
        if let Err(e) = self.put(&spooled.path.0, &storage_key).await {
            tracing::error!(error = %e, "an upload could not be stored and was refused");
            self.delete(&[storage_key]).await;
            return Err(Refusal::NotNow);
        }
        Ok(Accepted {
            file: UploadedFile {
                id: uuid::Uuid::now_v7().to_string(),
                name,
                size: spooled.size,
                file_type,
                sha256: spooled.sha256,
            },
            storage_key,
            scanned_by: self.scanner.name(),
        })
    }

    /// Writes the body into a spool file, hashing it and keeping its start; stops writing (but
    /// reads on) once it is larger than `max_bytes`.
    async fn spool<S, E>(&self, mut body: S, max_bytes: u64) -> Result<Spooled, Refusal>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        let path = SpoolPath(self.spool_path("part"));
        let mut file = tokio::fs::File::create(&path.0).await.map_err(|e| {
            tracing::error!(error = %e, "no spool file for an upload");
            Refusal::NotNow
        })?;
        let mut hasher = Sha256::new();
        let mut head = Vec::with_capacity(HEAD_BYTES);
        let mut size: u64 = 0;
        let mut too_large = false;
        while let Some(chunk) = body.next().await {
            let Ok(chunk) = chunk else {
                return Err(Refusal::Incomplete);
            };
            size += chunk.len() as u64;
            if too_large || size > max_bytes {
                too_large = true;
                continue;
            }
            let wanted = HEAD_BYTES.saturating_sub(head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..wanted]);
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(|e| {
                tracing::error!(error = %e, "an upload could not be spooled");
                Refusal::NotNow
            })?;
        }
        if too_large {
            return Err(Refusal::TooLarge { max_bytes });
        }
        file.flush().await.map_err(|_| Refusal::NotNow)?;
        Ok(Spooled {
            path,
            size,
            head,
            sha256: hex::encode(hasher.finalize()),
        })
    }

    /// Copies a spool file into the store, a part at a time.
    async fn put(&self, spooled: &Path, key: &str) -> anyhow::Result<()> {
        let upload = self.store.put_multipart(&StorePath::from(key)).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut file = tokio::fs::File::open(spooled).await?;
        let mut buffer = vec![0; 256 * 1024];
        loop {
            let read = file.read(&mut buffer).await?;
            if read == 0 {
                break;
            }
            writer.wait_for_capacity(1).await?;
            writer.write(&buffer[..read]);
        }
        writer.finish().await?;
        Ok(())
    }

    /// A stored file's content, as a stream.
    pub async fn open(&self, key: &str) -> anyhow::Result<BoxStream<'static, object_store::Result<Bytes>>> {
        Ok(self.store.get(&StorePath::from(key)).await?.into_stream())
    }

    /// Deletes stored files; one that cannot be deleted now is left to the sweep of files without
    /// a row.
    pub async fn delete(&self, keys: &[String]) {
        for key in keys {
            match self.store.delete(&StorePath::from(key.as_str())).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => tracing::warn!(error = %e, "an evidence file could not be deleted; the sweep will"),
            }
        }
    }
}

impl Attachments {
    /// Deletes stored files that no row points to and that were written before `before` (a younger
    /// one may be an upload whose row is being written); how many.
    pub async fn sweep(&self, db: &Db, before: DateTime<Utc>) -> anyhow::Result<usize> {
        let mut listed = self.store.list(None);
        let mut batch = Vec::new();
        let mut removed = 0;
        while let Some(meta) = listed.next().await {
            let meta = meta?;
            if meta.last_modified < before {
                batch.push(meta.location.to_string());
            }
            if batch.len() >= 500 {
                removed += self.delete_unknown(db, std::mem::take(&mut batch)).await?;
            }
        }
        removed += self.delete_unknown(db, batch).await?;
        Ok(removed)
    }

    async fn delete_unknown(&self, db: &Db, mut keys: Vec<String>) -> anyhow::Result<usize> {
        let known = attachments::known_keys(db, &keys).await?;
        keys.retain(|key| !known.contains(key));
        self.delete(&keys).await;
        Ok(keys.len())
    }
}

/// The attachment store: `<data_dir>/files` when `setting` is empty, or S3-compatible object
/// storage for `s3://bucket[/prefix]`, with credentials, region and endpoint from the `AWS_*`
/// environment variables (so no secret is in the configuration file).
fn store(data_dir: &Path, setting: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
    if setting.is_empty() {
        let files = data_dir.join("files");
        std::fs::create_dir_all(&files).with_context(|| format!("cannot create {}", files.display()))?;
        let local = LocalFileSystem::new_with_prefix(&files)
            .with_context(|| format!("cannot use {} for evidence files", files.display()))?;
        return Ok(Arc::new(local));
    }
    let Some(place) = setting.strip_prefix("s3://") else {
        anyhow::bail!(
            "attachment_store must be empty (files in the data directory) or s3://bucket[/prefix], not {setting:?}"
        );
    };
    let (bucket, prefix) = place.split_once('/').unwrap_or((place, ""));
    let s3 = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .build()
        .with_context(|| format!("attachment_store {setting:?}"))?;
    Ok(match prefix.trim_matches('/') {
        "" => Arc::new(s3),
        prefix => Arc::new(PrefixStore::new(s3, prefix)),
    })
}

struct Spooled {
    path: SpoolPath,
    size: u64,
    head: Vec<u8>,
    sha256: String,
}

/// A spool file, removed when dropped, whatever happened to the upload.
struct SpoolPath(PathBuf);

impl Drop for SpoolPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
