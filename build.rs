//! Puts GraphiQL's browser bundles (GraphiQL, React, ReactDOM, from the npm packages pinned in
//! `assets/graphiql/package-lock.json`) into the build, so that `/graphiql` works without a
//! CDN. They come from `assets/graphiql/node_modules` when installed there (`.ci/run` does),
//! or from an `npm ci` into the build's own directory. Without npm or the registry the build
//! still succeeds (with a warning), and the page then loads them from unpkg.com.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::Command,
};

/// (file in node_modules, name served under /graphiql/).
const BUNDLES: [(&str, &str); 4] = [
    ("react/umd/react.production.min.js", "react.js"),
    ("react-dom/umd/react-dom.production.min.js", "react-dom.js"),
    ("graphiql/graphiql.min.js", "graphiql.js"),
    ("graphiql/graphiql.min.css", "graphiql.css"),
];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(graphiql_bundled)");
    println!("cargo::rerun-if-changed=assets/graphiql/package.json");
    println!("cargo::rerun-if-changed=assets/graphiql/package-lock.json");
    println!("cargo::rerun-if-changed=assets/graphiql/node_modules/.package-lock.json");
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    let source = manifest.join("assets/graphiql");
    let target = out.join("graphiql");
    fs::create_dir_all(&target).expect("OUT_DIR is writable");

    let installed = [
        source.join("node_modules"),
        out.join("graphiql-npm/node_modules"),
    ]
    .into_iter()
    .find(|dir| complete(dir))
    .or_else(|| install(&source, &out.join("graphiql-npm")));
    match installed {
        Some(modules) => {
            for (from, to) in BUNDLES {
                fs::copy(modules.join(from), target.join(to)).expect("the bundle copies");
            }
            println!("cargo::rustc-cfg=graphiql_bundled");
        }
        None => {
            for (_, to) in BUNDLES {
                fs::write(target.join(to), "").expect("OUT_DIR is writable");
            }
            println!(
                "cargo::warning=GraphiQL's bundles are not in this build (npm ci in assets/graphiql \
                 failed or npm is missing); /graphiql will load them from unpkg.com"
            );
        }
    }
}

fn complete(modules: &Path) -> bool {
    BUNDLES.iter().all(|(file, _)| modules.join(file).is_file())
}

/// `npm ci` of the pinned packages into `dir`; the node_modules folder when it worked.
fn install(source: &Path, dir: &Path) -> Option<PathBuf> {
    fs::create_dir_all(dir).ok()?;
    for file in ["package.json", "package-lock.json"] {
        fs::copy(source.join(file), dir.join(file)).ok()?;
    }
    let status = Command::new("npm")
        .args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--loglevel=error",
        ])
        .current_dir(dir)
        .status()
        .ok()?;
    let modules = dir.join("node_modules");
    (status.success() && complete(&modules)).then_some(modules)
}
