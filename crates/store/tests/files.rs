//! The content-addressed file store, with the same cases on the local disk
//! and on a local S3-compatible server (see `serasi_store::testing::s3`).

use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serasi_store::files::{FileError, FileStore, sha256_hex};
use serasi_store::testing::s3::S3Server;

/// A file store and a second, unchecked handle on the same objects, through
/// which tests look at and tamper with what was stored.
struct Fixture {
    files: FileStore,
    raw: Arc<dyn ObjectStore>,
    _server: Option<S3Server>,
    _dir: Option<tempfile::TempDir>,
}

fn local() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("files");
    let files = FileStore::local(&root).expect("local store");
    let raw = LocalFileSystem::new_with_prefix(&root).expect("raw local store");
    Fixture {
        files,
        raw: Arc::new(raw),
        _server: None,
        _dir: Some(dir),
    }
}

fn s3(test: &str) -> Option<Fixture> {
    let server = S3Server::start(test)?;
    let settings = server.new_bucket();
    let files = FileStore::s3(&settings).expect("S3 store");
    let raw = AmazonS3Builder::new()
        .with_endpoint(&settings.endpoint)
        .with_bucket_name(&settings.bucket)
        .with_region(&settings.region)
        .with_access_key_id(&settings.access_key)
        .with_secret_access_key(&settings.secret_key)
        .with_allow_http(true)
        .build()
        .expect("raw S3 store");
    Some(Fixture {
        files,
        raw: Arc::new(raw),
        _server: Some(server),
        _dir: None,
    })
}

/// Defines one test per backend for each case, `$case(&fixture).await`.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                #[tokio::test]
                async fn local() {
                    super::$case(&super::local()).await;
                }

                #[tokio::test]
                async fn s3() {
                    if let Some(fixture) = super::s3(stringify!($case)) {
                        super::$case(&fixture).await;
                    }
                }
            }
        )*
    };
}

on_both_backends!(
    round_trip,
    second_put_stores_once,
    corruption_detected_on_read,
    bad_hash_rejected,
    empty_file,
    missing_file,
);

fn key(hash: &str) -> ObjectPath {
    ObjectPath::from(format!("{}/{hash}", &hash[..2]))
}

async fn stored_keys(fixture: &Fixture) -> Vec<String> {
    use futures_util::TryStreamExt as _;
    let listed: Vec<_> = fixture
        .raw
        .list(None)
        .try_collect()
        .await
        .expect("list objects");
    let mut keys: Vec<String> = listed.into_iter().map(|m| m.location.to_string()).collect();
    keys.sort();
    keys
}

async fn round_trip(fixture: &Fixture) {
    let bytes = b"%PDF-1.7 surat masuk".to_vec();
    let hash = fixture.files.put(&bytes).await.expect("put");
    assert_eq!(hash, sha256_hex(&bytes));
    assert_eq!(fixture.files.get(&hash).await.expect("get"), bytes);
    let raw = fixture
        .raw
        .get(&key(&hash))
        .await
        .expect("object at ab/abcdef…");
    assert_eq!(
        raw.bytes().await.expect("raw bytes").as_ref(),
        bytes.as_slice()
    );
}

async fn second_put_stores_once(fixture: &Fixture) {
    let first = fixture.files.put(b"lampiran").await.expect("first put");
    let second = fixture.files.put(b"lampiran").await.expect("second put");
    assert_eq!(first, second);
    let other = fixture
        .files
        .put(b"lampiran lain")
        .await
        .expect("other put");
    assert_ne!(first, other);
    let mut expected = vec![key(&first).to_string(), key(&other).to_string()];
    expected.sort();
    assert_eq!(stored_keys(fixture).await, expected);
}

async fn corruption_detected_on_read(fixture: &Fixture) {
    let hash = fixture.files.put(b"%PDF-1.7 asli").await.expect("put");
    fixture
        .raw
        .put(&key(&hash), PutPayload::from(b"%PDF-1.7 diubah".to_vec()))
        .await
        .expect("overwrite the stored object");
    let read = fixture.files.get(&hash).await;
    assert!(
        matches!(read, Err(FileError::Corrupt(ref h)) if *h == hash),
        "{read:?}"
    );
    // Storing the original again replaces the damaged copy.
    let again = fixture
        .files
        .put(b"%PDF-1.7 asli")
        .await
        .expect("put again");
    assert_eq!(again, hash);
    assert_eq!(
        fixture.files.get(&hash).await.expect("get"),
        b"%PDF-1.7 asli"
    );
}

async fn bad_hash_rejected(fixture: &Fixture) {
    let hash = sha256_hex(b"x");
    let cases = [
        "../etc/passwd".to_owned(),
        String::new(),
        hash[..63].to_owned(),
        format!("{hash}0"),
        hash.to_uppercase(),
        format!("{}/{}", &hash[..2], &hash[3..]),
    ];
    for bad in cases {
        let read = fixture.files.get(&bad).await;
        assert!(
            matches!(read, Err(FileError::BadHash(ref h)) if *h == bad),
            "{bad:?}: {read:?}"
        );
    }
}

async fn empty_file(fixture: &Fixture) {
    let hash = fixture.files.put(b"").await.expect("put");
    assert_eq!(
        hash,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert!(fixture.files.get(&hash).await.expect("get").is_empty());
}

async fn missing_file(fixture: &Fixture) {
    let hash = sha256_hex(b"never stored");
    let read = fixture.files.get(&hash).await;
    assert!(
        matches!(read, Err(FileError::Missing(ref h)) if *h == hash),
        "{read:?}"
    );
}
