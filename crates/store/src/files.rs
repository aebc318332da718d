//! Content-addressed file storage on the local disk or on S3-compatible
//! object storage. A file is stored once under its SHA-256, at the key
//! `ab/abcdef…` (the first two hex digits, then the whole hash). `put`
//! reports a file saved only after the stored object was read back and
//! its hash matched, and every `get` checks the hash again.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};
use sha2::{Digest, Sha256};

/// Errors of the file store.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot create the file folder {path}: {source}")]
    CreateFolder {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot set up the file storage at {location}: {source}")]
    Setup {
        location: String,
        #[source]
        source: object_store::Error,
    },
    #[error("file storage at {location} does not answer: {source}")]
    Unreachable {
        location: String,
        #[source]
        source: object_store::Error,
    },
    #[error("file storage at {location} failed on {key}: {source}")]
    Storage {
        location: String,
        key: String,
        #[source]
        source: object_store::Error,
    },
    #[error("stored file {0} not found")]
    Missing(String),
    #[error("stored file {0} does not match its hash")]
    Corrupt(String),
    #[error("{0:?} is not a SHA-256 hash")]
    BadHash(String),
    #[error("hashing a file failed: {0}")]
    Hashing(#[source] tokio::task::JoinError),
}

/// Storage backend of the files.
#[derive(Clone, Debug)]
pub enum FileStorage {
    /// A folder on the local disk.
    Local(PathBuf),
    /// A bucket of S3-compatible object storage.
    S3(S3Settings),
}

/// Connection settings of an S3-compatible bucket. `Debug` hides both
/// keys, so the settings can be logged.
#[derive(Clone)]
pub struct S3Settings {
    /// Base URL such as `https://s3.example.go.id`; empty means Amazon S3
    /// in `region`.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// Accept a plain `http://` endpoint.
    pub allow_http: bool,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key", &"***")
            .field("secret_key", &"***")
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

impl S3Settings {
    /// Describes the bucket for messages and logs, without the keys.
    pub fn location(&self) -> String {
        if self.endpoint.is_empty() {
            format!("s3://{} in {}", self.bucket, self.region)
        } else {
            format!("s3://{} at {}", self.bucket, self.endpoint)
        }
    }
}

/// Time limits of one S3 request. A request that fails on a timeout, a
/// lost connection or a 5xx response is retried at most three times, and
/// never after 20 seconds, so an upload fails before the HTTP layer's own
/// 60-second timeout.
const S3_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const S3_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const S3_MAX_RETRIES: usize = 3;
const S3_RETRY_TIMEOUT: Duration = Duration::from_secs(20);

/// Files named by their SHA-256 on one backend; cheap to clone.
#[derive(Clone)]
pub struct FileStore {
    objects: Arc<dyn ObjectStore>,
    location: Arc<str>,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("location", &self.location)
            .finish()
    }
}

/// Returns the lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Returns the object key of `hash`, `ab/abcdef…`, after checking that it
/// is 64 lowercase hex digits.
fn key_of(hash: &str) -> Result<ObjectPath, FileError> {
    let valid = hash.len() == 64 && hash.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'));
    if !valid {
        return Err(FileError::BadHash(hash.to_owned()));
    }
    Ok(ObjectPath::from(format!("{}/{hash}", &hash[..2])))
}

/// Hashes `bytes` on the blocking pool, so hashing a large file does not
/// hold up the other tasks of an async worker thread.
async fn hash_off_thread<B>(bytes: B) -> Result<(String, B), FileError>
where
    B: AsRef<[u8]> + Send + 'static,
{
    tokio::task::spawn_blocking(move || (sha256_hex(bytes.as_ref()), bytes))
        .await
        .map_err(FileError::Hashing)
}

impl FileStore {
    /// Opens the storage that `storage` names; see [`FileStore::local`] and
    /// [`FileStore::s3`].
    pub fn open(storage: &FileStorage) -> Result<FileStore, FileError> {
        match storage {
            FileStorage::Local(root) => FileStore::local(root.clone()),
            FileStorage::S3(settings) => FileStore::s3(settings),
        }
    }

    /// Opens a folder on the local disk, creating it when missing. Files
    /// are written to a temporary name, flushed to disk with their folder
    /// and then renamed into place.
    pub fn local(root: impl Into<PathBuf>) -> Result<FileStore, FileError> {
        let root = root.into();
        let location = root.display().to_string();
        std::fs::create_dir_all(&root).map_err(|source| FileError::CreateFolder {
            path: location.clone(),
            source,
        })?;
        let objects = LocalFileSystem::new_with_prefix(&root)
            .map_err(|source| FileError::Setup {
                location: location.clone(),
                source,
            })?
            .with_fsync(true);
        Ok(FileStore {
            objects: Arc::new(objects),
            location: location.into(),
        })
    }

    /// Connects to an S3-compatible bucket with path-style requests and the
    /// given static keys. No request is sent until the first `put` or
    /// `get`, so a wrong endpoint or key shows up there.
    pub fn s3(settings: &S3Settings) -> Result<FileStore, FileError> {
        let location = settings.location();
        let client = ClientOptions::new()
            .with_connect_timeout(S3_CONNECT_TIMEOUT)
            .with_timeout(S3_REQUEST_TIMEOUT);
        let retry = RetryConfig {
            max_retries: S3_MAX_RETRIES,
            retry_timeout: S3_RETRY_TIMEOUT,
            ..RetryConfig::default()
        };
        // `with_allow_http` changes the client options, so it comes after
        // `with_client_options`.
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key)
            .with_secret_access_key(&settings.secret_key)
            .with_client_options(client)
            .with_allow_http(settings.allow_http)
            .with_retry(retry);
        if !settings.endpoint.is_empty() {
            builder = builder.with_endpoint(&settings.endpoint);
        }
        let objects = builder.build().map_err(|source| FileError::Setup {
            location: location.clone(),
            source,
        })?;
        Ok(FileStore {
            objects: Arc::new(objects),
            location: location.into(),
        })
    }

    /// Describes where the files are kept: a folder, or `s3://bucket at
    /// endpoint`.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Checks that the storage responds, by listing its top level (at most
    /// 256 two-digit folders): a missing bucket, a wrong key or an
    /// unreachable endpoint fails here.
    pub async fn probe(&self) -> Result<(), FileError> {
        self.objects
            .list_with_delimiter(None)
            .await
            .map_err(|source| FileError::Unreachable {
                location: self.location.to_string(),
                source,
            })?;
        Ok(())
    }

    /// Stores `bytes` and returns their hash once the stored object was
    /// read back and matched. A file already stored intact is not written
    /// again; a stored copy that no longer matches its hash is replaced.
    pub async fn put(&self, bytes: &[u8]) -> Result<String, FileError> {
        let (hash, bytes) = hash_off_thread(bytes.to_vec()).await?;
        let key = key_of(&hash)?;
        match self.read_checked(&key, &hash).await {
            Ok(_) => return Ok(hash),
            Err(FileError::Missing(_)) => {}
            Err(FileError::Corrupt(_)) => {
                tracing::warn!(
                    location = %self.location,
                    %hash,
                    "replacing a stored file that no longer matches its hash"
                );
            }
            Err(e) => return Err(e),
        }
        self.objects
            .put(&key, PutPayload::from(bytes))
            .await
            .map_err(|source| self.storage_error(&key, source))?;
        self.read_checked(&key, &hash).await?;
        Ok(hash)
    }

    /// Reads a stored file, checking its hash.
    pub async fn get(&self, hash: &str) -> Result<Vec<u8>, FileError> {
        let key = key_of(hash)?;
        self.read_checked(&key, hash).await
    }

    async fn read_checked(&self, key: &ObjectPath, hash: &str) -> Result<Vec<u8>, FileError> {
        let read = match self.objects.get(key).await {
            Ok(read) => read.bytes().await,
            Err(e) => Err(e),
        };
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(FileError::Missing(hash.to_owned()));
            }
            Err(source) => return Err(self.storage_error(key, source)),
        };
        let (actual, bytes) = hash_off_thread(bytes).await?;
        if actual != hash {
            return Err(FileError::Corrupt(hash.to_owned()));
        }
        Ok(Vec::from(bytes))
    }

    fn storage_error(&self, key: &ObjectPath, source: object_store::Error) -> FileError {
        FileError::Storage {
            location: self.location.to_string(),
            key: key.to_string(),
            source,
        }
    }
}
