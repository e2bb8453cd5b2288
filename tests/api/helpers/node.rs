//! Node.js packages the tests run (an OpenID provider, GraphQL clients), each in a folder of
//! `tests/` with a committed lock file, installed with `npm ci` on first use.

use std::{path::PathBuf, sync::Mutex};

/// The folder `tests/{name}`, its packages installed (`installed` is a path under
/// `node_modules` that shows they are).
pub(crate) fn package(name: &str, installed: &str) -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name);
    let _once = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    if dir.join("node_modules").join(installed).exists() {
        return dir;
    }
    let status = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .status()
        .expect("these tests need Node.js and npm (as .ci/run installs)");
    assert!(status.success(), "npm ci in tests/{name} failed");
    dir
}
