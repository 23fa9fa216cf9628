/// When the spill writer calls fdatasync, and so what an acknowledgement promises
/// (protocol/storage.md, "Durability"). A plain value.
public enum FsyncPolicy: Equatable, Sendable, CustomStringConvertible {
    /// Every group commit is synced before anything that depends on it is released:
    /// an acknowledged event survives a process crash, an OS crash and a power loss.
    case always
    /// Each group commit is written to the OS before its acknowledgements go out (so a
    /// process crash loses nothing acknowledged); data is synced at most this many
    /// milliseconds after it was written, so an OS crash or power loss loses at most the
    /// events acknowledged in the last interval (plus the write in progress).
    case interval(milliseconds: Int)
    /// Never synced by the broker; acknowledgements do not wait for the writer. A process
    /// crash loses what the writer had not yet handed to the OS (at most the pending
    /// bytes limit), an OS crash whatever the kernel had not flushed.
    case never

    public var description: String {
        switch self {
        case .always: "always"
        case .interval(let ms): "every \(ms) ms"
        case .never: "never"
        }
    }
}

/// The transcript store's settings (`[transcripts]` in the configuration file,
/// protocol/configuration.md). A plain value.
public struct StorageConfiguration: Sendable {
    /// Directory of the segment files (`serve --data-dir`, then `transcripts/` in it).
    public var directory: String
    public var fsync: FsyncPolicy = .interval(milliseconds: 5)
    /// A segment is closed and a new one started when the next record would pass this.
    public var segmentBytes = 64 << 20
    /// Closed segments are removed, oldest first, while all segments hold more than this.
    public var retentionBytes: Int64 = 4 << 30
    /// How long each kind of record is kept (`[retention]`, and `[transcripts]
    /// retention_days` for conversations): a closed segment goes once every record in
    /// it has outlived its kind's time. Three years by default.
    public var retention = RetentionPolicy()
    /// Conversations' retention (the older single setting).
    public var retentionSeconds: Int64 {
        get { retention.conversations }
        set { retention.conversations = newValue }
    }
    /// Bytes of recent events held in memory (record bytes plus bookkeeping per entry).
    public var ringBytes = 64 << 20
    /// Appended bytes the writer may lag behind before new client messages are refused.
    public var maxPendingBytes = 16 << 20

    public init(directory: String) {
        self.directory = directory
    }
}
