/// What the server is willing to do with permessage-deflate. A value, read by every loop.
public struct DeflateConfiguration: Sendable {
    /// How compression contexts are held.
    public enum Mode: Sendable {
        /// Each connection keeps its compressor and decompressor between messages
        /// (context takeover): the best ratio, tens of KiB per active connection
        /// (allocated on a connection's first compressed message, not at the handshake).
        case contextTakeover
        /// No context takeover either way (both `*_no_context_takeover` are agreed), so
        /// one compressor and one decompressor per event loop serve every connection:
        /// no per-connection zlib memory at all, for very many connections.
        case sharedPerLoop
    }

    public var enabled = true
    public var mode: Mode = .contextTakeover
    /// Our compressor's window (RFC 7692 §7.1.2.1); lower when the client asks.
    public var serverMaxWindowBits = 11
    /// The window we ask clients to use when they let us choose (§7.1.2.2).
    public var clientMaxWindowBits = 11
    /// zlib memLevel 1–9 for our compressor: memory = 2^(memLevel+9) bytes + the window.
    public var memoryLevel = 4
    /// zlib level 1–9.
    public var compressionLevel = 6
    /// Messages shorter than this go out uncompressed (RSV1 clear): compressing a few
    /// bytes costs more CPU than it saves and can even grow them.
    public var minimumSize = 64
    /// Messages longer than this go out uncompressed too: peers cap what they will
    /// inflate (Node's WebSocket refuses more than 4 MiB inflated), and payloads this
    /// large are usually compressed already (files, images).
    public var maximumSize = 1024 * 1024

    public init() {}
}

/// The parameters agreed for one connection (RFC 7692 §7.1).
public struct DeflateParameters: Sendable, Equatable {
    public var serverNoContextTakeover = false
    public var clientNoContextTakeover = false
    public var serverMaxWindowBits = 15
    public var clientMaxWindowBits = 15

    public init(serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
                serverMaxWindowBits: Int = 15, clientMaxWindowBits: Int = 15) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }
}

/// Extension negotiation for permessage-deflate (RFC 7692 §5, §7.1). Stateless.
public enum DeflateNegotiation {
    public static let extensionName = "permessage-deflate"

    /// One offer: the extension name and its parameters, in order, values unquoted.
    struct Offer {
        var name: String
        var parameters: [(name: String, value: String?)]
    }

    /// Parses `Sec-WebSocket-Extensions` elements (already split on commas, RFC 6455 §9.1).
    static func parseOffers(_ elements: [Substring]) -> [Offer] {
        elements.compactMap { element in
            let parts = element.split(separator: ";").map { $0.trimmingSpaces() }
            guard let name = parts.first, !name.isEmpty else { return nil }
            let parameters = parts.dropFirst().map { part -> (name: String, value: String?) in
                guard let equals = part.firstIndex(of: "=") else { return (String(part).lowercased(), nil) }
                var value = part[part.index(after: equals)...].trimmingSpaces()
                if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
                return (String(part[..<equals].trimmingSpaces()).lowercased(), String(value))
            }
            return Offer(name: String(name).lowercased(), parameters: parameters)
        }
    }

    /// The server's side (§7.1): accepts the first permessage-deflate offer it can
    /// honour and returns the agreed parameters and the response header value; nil
    /// when there is none (the connection then runs without compression).
    public static func negotiate(offers elements: [Substring], configuration: DeflateConfiguration) -> (DeflateParameters, String)? {
        guard configuration.enabled else { return nil }
        for offer in parseOffers(elements) where offer.name == extensionName {
            if let agreed = accept(offer, configuration: configuration) { return agreed }
        }
        return nil
    }

    private static func accept(_ offer: Offer, configuration: DeflateConfiguration) -> (DeflateParameters, String)? {
        var seen = Set<String>()
        var serverNoContextTakeover = false
        var clientNoContextTakeover = false
        var requestedServerBits: Int?
        var clientBitsOffered = false
        var offeredClientBits: Int?
        for (name, value) in offer.parameters {
            // §7.1: an offer with an unknown or repeated parameter, or a bad value, is declined.
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "server_no_context_takeover":
                guard value == nil else { return nil }
                serverNoContextTakeover = true
            case "client_no_context_takeover":
                guard value == nil else { return nil }
                clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let bits = windowBits(value) else { return nil }
                requestedServerBits = bits
            case "client_max_window_bits":
                clientBitsOffered = true
                if let value {
                    guard let bits = windowBits(value) else { return nil }
                    offeredClientBits = bits
                }
            default:
                return nil
            }
        }
        var parameters = DeflateParameters()
        var response = [extensionName]
        let shared = configuration.mode == .sharedPerLoop
        if serverNoContextTakeover || shared {
            parameters.serverNoContextTakeover = true
            response.append("server_no_context_takeover")
        }
        // §7.1.1.2: the server may ask the client not to keep context even unasked; the
        // shared mode needs it, since one decompressor per loop serves every connection.
        if clientNoContextTakeover || shared {
            parameters.clientNoContextTakeover = true
            response.append("client_no_context_takeover")
        }
        // §7.1.2.1: announce a window only when the client asked for a bound. Our
        // compressor may always use a smaller window than agreed; the peer's larger
        // decompression window reads it all the same.
        parameters.serverMaxWindowBits = min(configuration.serverMaxWindowBits, requestedServerBits ?? 15)
        if let requestedServerBits {
            response.append("server_max_window_bits=\(requestedServerBits)")
        }
        if clientBitsOffered {
            // §7.1.2.2: only when offered may we bound the client's window.
            parameters.clientMaxWindowBits = min(configuration.clientMaxWindowBits, offeredClientBits ?? 15)
            response.append("client_max_window_bits=\(parameters.clientMaxWindowBits)")
        }
        return (parameters, response.joined(separator: "; "))
    }

    /// §7.1.2: a window size is a decimal 8–15 with no leading zero.
    private static func windowBits(_ value: String?) -> Int? {
        guard let value, let bits = Int(value), (8...15).contains(bits), !value.hasPrefix("0"), !value.hasPrefix("+") else { return nil }
        return bits
    }

    /// The client's offer: context takeover both ways, any window we can decompress.
    public static func clientOffer(noContextTakeover: Bool = false) -> String {
        noContextTakeover
            ? "\(extensionName); client_no_context_takeover; server_no_context_takeover; client_max_window_bits"
            : "\(extensionName); client_max_window_bits"
    }

    /// The client's check of the server's answer (§7.1): nil if it is not a valid
    /// acceptance of our offer (the client must then fail the connection).
    public static func clientAccept(_ elements: [Substring]) -> DeflateParameters? {
        let offers = parseOffers(elements)
        guard offers.count == 1, let answer = offers.first, answer.name == extensionName else { return nil }
        var parameters = DeflateParameters()
        var seen = Set<String>()
        for (name, value) in answer.parameters {
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "server_no_context_takeover" where value == nil: parameters.serverNoContextTakeover = true
            case "client_no_context_takeover" where value == nil: parameters.clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let bits = windowBits(value) else { return nil }
                parameters.serverMaxWindowBits = bits
            case "client_max_window_bits":
                guard let bits = windowBits(value) else { return nil }
                parameters.clientMaxWindowBits = bits
            default: return nil
            }
        }
        return parameters
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
