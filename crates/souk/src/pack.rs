//! `souk pack`: a folder of templates into a validated pack body.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use souk_core::body::PackFile;
use souk_core::pack::to_hex;
use souk_pack::{LocalPack, MANIFEST_FILE};

use souk::fsutil::write_atomically;

pub fn pack(dir: &Path, out: Option<&Path>) -> Result<()> {
    let pack = load(dir)?;
    let v = &pack.version;
    let out = out.map_or_else(|| PathBuf::from(format!("{}-{}.souk", v.name, v.version)), Path::to_path_buf);
    write_atomically(&out, &pack.body)?;
    let hash = v.content_hash.as_ref().map(to_hex).unwrap_or_default();
    eprintln!(
        "{:>12} {} v{} ({} bytes) to {}\n{:>12} sha256:{hash}",
        "Packed",
        v.name,
        v.version,
        pack.body.len(),
        out.display(),
        "Content"
    );
    Ok(())
}

/// The pack in `dir`, checked (its templates too), with its body, published now.
pub fn load(dir: &Path) -> Result<LocalPack> {
    if !dir.join(MANIFEST_FILE).is_file() {
        bail!("no {MANIFEST_FILE} in {}", dir.display());
    }
    let mut files = Vec::new();
    read_files(dir, dir, &mut files)?;
    LocalPack::from_files(files, souk_net::sync::unix_seconds())
        .and_then(|pack| pack.check_templates().map(|()| pack))
        .with_context(|| format!("invalid pack {}", dir.display()))
}

/// Every file below `dir`, with `/`-separated paths relative to `root`. Version-control
/// folders are left out; symbolic links are refused, as a pack must not point outside.
fn read_files(root: &Path, dir: &Path, files: &mut Vec<PackFile>) -> Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            bail!("{} is a symbolic link; packs hold only regular files", path.display());
        } else if kind.is_dir() {
            if entry.file_name() != ".git" {
                read_files(root, &path, files)?;
            }
        } else {
            let relative = path.strip_prefix(root).expect("below root");
            let relative =
                relative.to_str().with_context(|| format!("{} is not a UTF-8 path", path.display()))?;
            let contents = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            files.push(PackFile { path: relative.replace(std::path::MAIN_SEPARATOR, "/"), contents });
        }
    }
    Ok(())
}
