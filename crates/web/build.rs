//! Fetches the front-end packages named in `assets/package-lock.json` with
//! `npm ci` into OUT_DIR and copies the files the binary embeds. Nothing
//! third-party is committed; the lock file pins exact versions.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=assets/package.json");
    println!("cargo:rerun-if-changed=assets/package-lock.json");

    let manifest = PathBuf::from(env_var("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env_var("OUT_DIR"));
    let work = out.join("npm");
    std::fs::create_dir_all(&work)
        .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", work.display())));
    for file in ["package.json", "package-lock.json"] {
        copy(&manifest.join("assets").join(file), &work.join(file));
    }

    let htmx = work.join("node_modules/htmx.org/dist/htmx.min.js");
    if !htmx.exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
            .current_dir(&work)
            .status()
            .unwrap_or_else(|e| fail(&format!("cannot run npm ({e}); install Node.js and npm")));
        if !status.success() {
            fail("`npm ci` failed in crates/web/assets; check the npm registry is reachable");
        }
    }
    copy(&htmx, &out.join("htmx.min.js"));
}

fn env_var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| fail(&format!("{name} is not set")))
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| {
        fail(&format!(
            "cannot copy {} to {}: {e}",
            from.display(),
            to.display()
        ))
    });
}

fn fail(message: &str) -> ! {
    panic!("serasi-web build: {message}");
}
