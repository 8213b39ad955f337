//! Embeds the demo registry (`registry/demo/<pack>/...`) as a list of `(path, bytes)`.
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    // Read when the script runs, not when it is compiled: a shared target folder may reuse
    // this script's binary for a checkout at another path.
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).join("../../registry/demo");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let mut out = String::from("&[\n");
    for path in &files {
        let rel = path.strip_prefix(&root).unwrap().to_str().unwrap().replace('\\', "/");
        let abs = path.canonicalize().unwrap();
        out.push_str(&format!("    ({rel:?}, include_bytes!({:?})),\n", abs.to_str().unwrap()));
    }
    out.push_str("]\n");
    let dest = PathBuf::from(env::var("OUT_DIR").unwrap()).join("demo_files.rs");
    fs::write(dest, out).unwrap();
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, files);
        } else {
            files.push(path);
        }
    }
}
