//! SHA-256 of what a peer fetched, where it is fastest: natively sha2 ([`content_hash`]); in
//! a tab the browser's own `crypto.subtle`, which runs at native speed off the page's thread
//! (sha2 in wasm took 0.6 s of the page's thread in a first sync of the npm index's 55 MB).
//! A page without `crypto.subtle` (not a secure context) hashes in wasm.

use souk_core::Digest;
use souk_core::body::content_hash;

/// The SHA-256 of `bytes`.
pub(crate) async fn sha256(bytes: &[u8]) -> Digest {
    #[cfg(target_arch = "wasm32")]
    if let Some(digest) = subtle_sha256(bytes).await {
        return digest;
    }
    content_hash(bytes)
}

#[cfg(target_arch = "wasm32")]
async fn subtle_sha256(bytes: &[u8]) -> Option<Digest> {
    use wasm_bindgen::JsCast;

    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let subtle = crypto.dyn_into::<web_sys::Crypto>().ok()?.subtle();
    // `digest` copies the bytes before it returns, so the view into wasm memory may change.
    let promise = subtle.digest_with_str_and_u8_array("SHA-256", bytes).ok()?;
    let buffer = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    let array = js_sys::Uint8Array::new(&buffer);
    let mut digest = Digest::default();
    (array.length() as usize == digest.len()).then(|| array.copy_to(&mut digest))?;
    Some(digest)
}
