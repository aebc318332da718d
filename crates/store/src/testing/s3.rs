//! A local S3-compatible server for tests: moto's `moto_server`, at the
//! path in `SERASI_TEST_S3_SERVER` (scripts/test installs it and sets the
//! variable), started on 127.0.0.1 at a free port and stopped when the
//! handle is dropped.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::files::S3Settings;

/// Variable naming the `moto_server` executable.
pub const SERVER_VARIABLE: &str = "SERASI_TEST_S3_SERVER";

/// Maximum wait for the server to accept connections after it started.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause between two connection attempts while the server starts.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Ports tried before giving up, in case another process takes the free
/// port between choosing it and the server binding it.
const START_ATTEMPTS: usize = 3;

/// A running S3 server, killed on drop.
pub struct S3Server {
    child: Child,
    address: SocketAddr,
    log: PathBuf,
}

impl S3Server {
    /// Starts the server named by `SERASI_TEST_S3_SERVER`. Returns `None`,
    /// after saying so on standard error, when the variable is unset
    /// outside CI, so `cargo test` works without the server installed.
    ///
    /// # Panics
    /// When the variable is unset while `CI` is set, or when the server
    /// does not start: the S3 tests must run in CI.
    pub fn start(test: &str) -> Option<S3Server> {
        let Some(program) = std::env::var_os(SERVER_VARIABLE) else {
            if std::env::var_os("CI").is_some() {
                panic!("{SERVER_VARIABLE} is unset under CI; run the tests through scripts/test");
            }
            eprintln!(
                "skipping the S3 part of {test}: {SERVER_VARIABLE} is unset \
                 (scripts/test installs moto_server and sets it)"
            );
            return None;
        };
        let program = PathBuf::from(program);
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            match S3Server::spawn(&program) {
                Ok(server) => return Some(server),
                Err(failure) => failures.push(failure),
            }
        }
        panic!(
            "cannot start the S3 server {}:\n{}",
            program.display(),
            failures.join("\n")
        );
    }

    fn spawn(program: &Path) -> Result<S3Server, String> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map_err(|e| format!("no free port on 127.0.0.1: {e}"))?
            .port();
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let log = std::env::temp_dir().join(format!("serasi-s3-{}.log", uuid::Uuid::new_v4()));
        let log_file = std::fs::File::create(&log)
            .map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let log_copy = log_file
            .try_clone()
            .map_err(|e| format!("cannot open {} twice: {e}", log.display()))?;
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_copy)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
        let mut server = S3Server {
            child,
            address,
            log,
        };
        server.wait_until_ready()?;
        Ok(server)
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "the server exited with {status} before accepting connections:\n{}",
                    self.log_text()
                ));
            }
            if TcpStream::connect_timeout(&self.address, POLL_INTERVAL).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the server did not accept connections at {} within {} s:\n{}",
                    self.address,
                    START_TIMEOUT.as_secs(),
                    self.log_text()
                ));
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Returns the server's base URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Creates a bucket with a fresh name and returns the settings to
    /// reach it over plain HTTP.
    ///
    /// # Panics
    /// When the server does not create the bucket.
    pub fn new_bucket(&self) -> S3Settings {
        let bucket = format!("serasi-test-{}", uuid::Uuid::new_v4().simple());
        // object_store has no call to create a bucket, so the request is
        // written by hand; moto accepts it unsigned.
        let request = format!(
            "PUT /{bucket} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.address
        );
        let mut stream = TcpStream::connect(self.address)
            .unwrap_or_else(|e| panic!("cannot connect to the S3 server at {}: {e}", self.address));
        stream
            .write_all(request.as_bytes())
            .unwrap_or_else(|e| panic!("cannot send the bucket request: {e}"));
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .unwrap_or_else(|e| panic!("cannot read the bucket response: {e}"));
        let status = response.lines().next().unwrap_or_default();
        assert!(
            status.starts_with("HTTP/1.1 200") || status.starts_with("HTTP/1.0 200"),
            "creating bucket {bucket} failed: {response}"
        );
        S3Settings {
            endpoint: self.endpoint(),
            bucket,
            region: "us-east-1".to_owned(),
            access_key: "serasi-test".to_owned(),
            secret_key: "serasi-test-secret".to_owned(),
            allow_http: true,
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
