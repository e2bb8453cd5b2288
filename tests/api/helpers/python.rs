//! Command-line tools from PyPI the tests run (Helm, kubernetes-validate), installed on first
//! use into a virtual environment under `target/` from `tests/tools/requirements.txt`.

use std::{path::PathBuf, sync::Mutex};

/// The path of `name` in the tools' environment, installed if need be.
pub(crate) fn tool(name: &str) -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("python-tools");
    let requirements =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tools/requirements.txt");
    let _once = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    let stamp = venv.join("installed.txt");
    let wanted = std::fs::read_to_string(&requirements).expect("the requirements");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        let created = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("these tests need python3 with venv (as .ci/run installs)");
        assert!(created.success(), "python3 -m venv failed");
        let installed = std::process::Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements)
            .status()
            .expect("pip runs");
        assert!(
            installed.success(),
            "pip install -r tests/tools/requirements.txt failed"
        );
        std::fs::write(&stamp, wanted).expect("stamp written");
    }
    venv.join("bin").join(name)
}
