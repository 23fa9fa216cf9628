import ByteBuffers

/// Compression contexts one event loop shares between its connections when no
/// context is taken over (`DeflateConfiguration.Mode.sharedPerLoop`). Each message
/// starts from an empty window, so any connection may use them in turn. Loop thread only.
public final class SharedDeflateContexts {
    let configuration: DeflateConfiguration
    /// One compressor per window size, since peers may bound our window differently.
    private var compressors: [Compressor?] = Array(repeating: nil, count: 16)
    private(set) lazy var decompressor = Decompressor(windowBits: 15)

    public init(configuration: DeflateConfiguration) {
        self.configuration = configuration
    }

    func compressor(windowBits: Int) -> Compressor {
        if let compressor = compressors[windowBits] { return compressor }
        let compressor = Compressor(windowBits: windowBits, memoryLevel: configuration.memoryLevel, level: configuration.compressionLevel)
        compressors[windowBits] = compressor
        return compressor
    }
}

/// permessage-deflate on one connection (RFC 7692 §6–7): compresses what we send and
/// inflates what we receive under the agreed parameters. Owned by the connection on
/// its loop thread. zlib memory is taken on first use, so an idle connection that
/// negotiated compression costs no more than one that did not.
public final class PerMessageDeflate {
    public let parameters: DeflateParameters
    public let isServer: Bool
    let configuration: DeflateConfiguration
    private let shared: SharedDeflateContexts?
    private var ownCompressor: Compressor?
    private var ownDecompressor: Decompressor?

    /// `shared` is used when both directions run without context takeover.
    public init(parameters: DeflateParameters, isServer: Bool, configuration: DeflateConfiguration, shared: SharedDeflateContexts?) {
        self.parameters = parameters
        self.isServer = isServer
        self.configuration = configuration
        let noTakeover = parameters.serverNoContextTakeover && parameters.clientNoContextTakeover
        self.shared = noTakeover ? shared : nil
    }

    /// Our direction: the server's parameters when we are the server.
    private var sendNoContextTakeover: Bool { isServer ? parameters.serverNoContextTakeover : parameters.clientNoContextTakeover }
    private var sendWindowBits: Int { min(configuration.serverMaxWindowBits, isServer ? parameters.serverMaxWindowBits : parameters.clientMaxWindowBits) }
    private var receiveNoContextTakeover: Bool { isServer ? parameters.clientNoContextTakeover : parameters.serverNoContextTakeover }

    /// Whether a message of this size is worth compressing.
    @inline(__always)
    public func shouldCompress(_ size: Int) -> Bool { size >= configuration.minimumSize && size <= configuration.maximumSize }

    /// Compresses a whole message into `output` (the RSV1 frame's payload).
    public func compress(_ payload: UnsafeRawBufferPointer, into output: ByteBuffer) throws(DeflateError) {
        let compressor: Compressor
        if let shared {
            compressor = shared.compressor(windowBits: sendWindowBits)
        } else if let ownCompressor {
            compressor = ownCompressor
        } else {
            compressor = Compressor(windowBits: sendWindowBits, memoryLevel: configuration.memoryLevel, level: configuration.compressionLevel)
            ownCompressor = compressor
        }
        try compressor.compress(payload, into: output, reset: sendNoContextTakeover || shared != nil)
    }

    /// Inflates a whole received message into `output`, at most `limit` bytes.
    public func decompress(_ payload: UnsafeRawBufferPointer, into output: ByteBuffer, limit: Int) throws(DeflateError) {
        let decompressor: Decompressor
        if let shared {
            decompressor = shared.decompressor
        } else if let ownDecompressor {
            decompressor = ownDecompressor
        } else {
            // The peer's window was agreed; a smaller one costs less memory per connection.
            decompressor = Decompressor(windowBits: isServer ? parameters.clientMaxWindowBits : parameters.serverMaxWindowBits)
            ownDecompressor = decompressor
        }
        try decompressor.decompress(payload, into: output, limit: limit, reset: receiveNoContextTakeover || shared != nil)
    }
}
