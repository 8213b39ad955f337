// The page's second module (souk_web_pack.js): the resolver, the body check, publishing's
// manifest rules and the generator, kept out of the module every visit loads. Fetched and
// started once, on first use: by the peer the first time it resolves, installs or
// publishes (`SoukPeer.start({ packs: loadPacks })`), and by the views that need it.
let loading;

export function loadPacks() {
  loading ??= import("./pkg/souk_web_pack.js").then(
    async (module) => {
      await module.default();
      return module;
    },
    (err) => {
      loading = undefined; // a failed fetch (offline) is tried again next time
      throw err;
    },
  );
  return loading;
}
