//! Fetches the fonts named in `assets/package-lock.json` with `npm ci` into
//! OUT_DIR and copies the font files the binary embeds. No font file is
//! committed; the lock file pins the exact package.

use std::path::{Path, PathBuf};
use std::process::Command;

const FONTS: [&str; 4] = [
    "400Regular/Arimo_400Regular.ttf",
    "700Bold/Arimo_700Bold.ttf",
    "400Regular_Italic/Arimo_400Regular_Italic.ttf",
    "700Bold_Italic/Arimo_700Bold_Italic.ttf",
];

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
    let package = work.join("node_modules/@expo-google-fonts/arimo");
    if !package.join(FONTS[0]).exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
            .current_dir(&work)
            .status()
            .unwrap_or_else(|e| fail(&format!("cannot run npm ({e}); install Node.js and npm")));
        if !status.success() {
            fail("`npm ci` failed in crates/pdf/assets; check the npm registry is reachable");
        }
    }
    for font in FONTS {
        let name = Path::new(font)
            .file_name()
            .unwrap_or_else(|| fail("font path without a file name"));
        copy(&package.join(font), &out.join(name));
    }
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
    panic!("serasi-pdf build: {message}");
}
