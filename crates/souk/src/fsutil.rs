//! File-system helpers shared by the commands.

use std::path::Path;

use anyhow::{Context, Result};
use bytes::Bytes;

/// The bytes of `path`, or `None` when there is no such file (any other failure is an error).
pub fn read_if_present(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder, so readers see
/// the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The bytes of the snapshot at `path`, mapped rather than read: an index reads its columns
/// in place, so a search of a 55 MB index touches the pages it needs, not all of them
/// twice. Small files (which cannot all be mapped) are read.
pub fn map_snapshot(path: &Path) -> Result<Bytes> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let len = file.metadata().with_context(|| format!("cannot read {}", path.display()))?.len();
    if len < 64 * 1024 {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        return Ok(Bytes::from(bytes));
    }
    // SAFETY: the map is read-only and lives as long as the bytes that share it. Souk
    // writes every snapshot whole under a temporary name and renames it into place, so the
    // file mapped here is never changed while mapped; a file another program changes in
    // place is not supported (the index checked its bytes when it loaded them).
    #[allow(unsafe_code)]
    let map =
        unsafe { memmap2::Mmap::map(&file) }.with_context(|| format!("cannot map {}", path.display()))?;
    Ok(Bytes::from_owner(map))
}
