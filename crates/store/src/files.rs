//! Content-addressed file storage on the local disk. A file is stored
//! once under its SHA-256. It is written to a temporary name, flushed,
//! renamed into place and read back before it counts as saved, and every
//! read checks the hash again.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Errors of the file store.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("file storage failed at {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("stored file {0} does not match its hash")]
    Corrupt(String),
    #[error("{0:?} is not a SHA-256 hash")]
    BadHash(String),
}

/// Files under one folder, named by their SHA-256.
#[derive(Clone, Debug)]
pub struct LocalFiles {
    root: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Returns the lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl LocalFiles {
    pub fn new(root: impl Into<PathBuf>) -> LocalFiles {
        LocalFiles { root: root.into() }
    }

    fn path_of(&self, hash: &str) -> Result<PathBuf, FileError> {
        let valid = hash.len() == 64 && hash.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'));
        if !valid {
            return Err(FileError::BadHash(hash.to_owned()));
        }
        Ok(self.root.join(&hash[..2]).join(hash))
    }

    /// Stores `bytes` and returns their hash once the stored copy was read
    /// back and matched.
    pub fn put(&self, bytes: &[u8]) -> Result<String, FileError> {
        let hash = sha256_hex(bytes);
        let path = self.path_of(&hash)?;
        if path.exists() && self.get(&hash).is_ok() {
            return Ok(hash);
        }
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let temp = dir.join(format!(".{hash}.{}", uuid::Uuid::new_v4().simple()));
        let mut file = std::fs::File::create(&temp).map_err(io(&temp))?;
        file.write_all(bytes).map_err(io(&temp))?;
        file.sync_all().map_err(io(&temp))?;
        drop(file);
        std::fs::rename(&temp, &path).map_err(io(&path))?;
        self.get(&hash)?;
        Ok(hash)
    }

    /// Reads a stored file, checking its hash.
    pub fn get(&self, hash: &str) -> Result<Vec<u8>, FileError> {
        let path = self.path_of(hash)?;
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        if sha256_hex(&bytes) != hash {
            return Err(FileError::Corrupt(hash.to_owned()));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corruption() {
        let root = std::env::temp_dir().join(format!("serasi-files-{}", uuid::Uuid::new_v4()));
        let files = LocalFiles::new(&root);
        let hash = files.put(b"%PDF-1.7 test").expect("put");
        assert_eq!(files.get(&hash).expect("get"), b"%PDF-1.7 test");
        assert_eq!(files.put(b"%PDF-1.7 test").expect("again"), hash);
        std::fs::write(root.join(&hash[..2]).join(&hash), b"changed").expect("tamper");
        assert!(matches!(files.get(&hash), Err(FileError::Corrupt(_))));
        assert!(matches!(
            files.get("../etc/passwd"),
            Err(FileError::BadHash(_))
        ));
        std::fs::remove_dir_all(root).expect("cleanup");
    }
}
