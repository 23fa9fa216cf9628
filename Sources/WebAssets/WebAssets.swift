/// The files under the repository's `web/` directory (demo store page, chat widget,
/// agent console, supervisor dashboard), embedded at build time by
/// `Plugins/WebAssetsPlugin` (`WebAssets.files` is generated). Immutable constants;
/// any thread.
public enum WebAssets {
    /// One embedded file: its name in `web/`, an ETag (FNV-1a of the bytes, hex) and
    /// its UTF-8 text (the plugin refuses anything else).
    public struct File: Sendable {
        public let name: String
        public let etag: String
        public let text: String

        public init(name: String, etag: String, text: String) {
            self.name = name
            self.etag = etag
            self.text = text
        }
    }
}
