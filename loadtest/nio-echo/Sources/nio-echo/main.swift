// nio-echo: a WebSocket echo server written the ordinary SwiftNIO way
// (NIOPosix + NIOHTTP1 + NIOWebSocket, HTTPServerUpgradeHandler with
// NIOWebSocketServerUpgrader, NIOWebSocketFrameAggregator). It is the SwiftNIO
// reference peer for Switchboard's transport benchmark. With --tls-cert/--tls-key
// it serves wss:// through swift-nio-ssl (NIOSSLServerHandler first in each pipeline).
//
//   nio-echo [--port P] [--threads N] [--tls-cert PEM --tls-key PEM]   (defaults: 9002, 1, plain)

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

// MARK: - Limits

/// Largest single frame the decoder accepts.
let maxFrameSize = 16 << 20  // 16 MiB
/// Largest message after fragments are aggregated.
let maxMessageSize = 64 << 20  // 64 MiB
/// Most fragments one message may consist of.
let maxFragmentsPerMessage = 1 << 16

// MARK: - Command line

struct Options {
    var port = 9002
    var threads = 1
    /// PEM certificate chain and private key; TLS is on when both are given.
    var tlsCert: String? = nil
    var tlsKey: String? = nil
}

let usage = "usage: nio-echo [--port P] [--threads N] [--tls-cert PEM --tls-key PEM]"

/// Writes one line to stderr (unbuffered).
func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { bytes in
        _ = write(2, bytes.baseAddress, bytes.count)
    }
}

func usageAndExit(_ message: String) -> Never {
    printError("nio-echo: \(message)")
    printError(usage)
    exit(2)
}

func parseOptions(_ argv: [String]) -> Options {
    var options = Options()
    var i = 1
    func text(for flag: String, inline: String?) -> String {
        if let inline { return inline }
        i += 1
        guard i < argv.count else { usageAndExit("\(flag) needs a value") }
        return argv[i]
    }
    func value(for flag: String, inline: String?) -> Int {
        let raw = text(for: flag, inline: inline)
        guard let n = Int(raw) else { usageAndExit("\(flag): not an integer: \(raw)") }
        return n
    }
    while i < argv.count {
        let arg = argv[i]
        var flag = arg
        var inline: String? = nil
        if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
            flag = String(arg[..<eq])
            inline = String(arg[arg.index(after: eq)...])
        }
        switch flag {
        case "--port", "-p":
            options.port = value(for: flag, inline: inline)
            guard (0...65535).contains(options.port) else { usageAndExit("--port out of range") }
        case "--threads", "-t":
            options.threads = value(for: flag, inline: inline)
            guard options.threads >= 1 else { usageAndExit("--threads must be at least 1") }
        case "--tls-cert":
            options.tlsCert = text(for: flag, inline: inline)
        case "--tls-key":
            options.tlsKey = text(for: flag, inline: inline)
        case "--help", "-h":
            print("\(usage)   (defaults: --port 9002 --threads 1, no TLS)")
            exit(0)
        default:
            usageAndExit("unknown argument: \(arg)")
        }
        i += 1
    }
    guard (options.tlsCert == nil) == (options.tlsKey == nil) else {
        usageAndExit("--tls-cert and --tls-key go together")
    }
    return options
}

// MARK: - WebSocket echo

/// Sits after NIOWebSocketFrameAggregator, so every text/binary frame it sees is a
/// complete message. Echoes messages, answers pings, and answers a close with a close.
final class WebSocketEchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Set once we have sent a close frame; nothing else is sent after that.
    private var sentClose = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        guard !self.sentClose else { return }

        switch frame.opcode {
        case .text, .binary:
            // Unfragmented frames come through the aggregator still masked; unmask them.
            let reply = WebSocketFrame(fin: true, opcode: frame.opcode, data: frame.unmaskedData)
            context.write(Self.wrapOutboundOut(reply), promise: nil)

        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.write(Self.wrapOutboundOut(pong), promise: nil)

        case .pong:
            break

        case .connectionClose:
            // Echo the peer's status code (if any) and close once it has been written.
            var payload = frame.unmaskedData
            let code = payload.readSlice(length: 2) ?? context.channel.allocator.buffer(capacity: 0)
            self.sendCloseAndClose(context: context, payload: code)

        default:
            // Continuations never reach us (the aggregator consumes them); anything
            // else is an opcode we do not understand.
            self.sendClose(context: context, code: .protocolError)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Echoes are written per message and flushed once per read batch.
        context.flush()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let error = error as? NIOWebSocketFrameAggregator.Error {
            switch error {
            case .accumulatedFrameSizeIsTooLarge:
                self.sendClose(context: context, code: .messageTooLarge)
            default:
                self.sendClose(context: context, code: .protocolError)
            }
        } else {
            context.close(promise: nil)
        }
    }

    private func sendClose(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.write(webSocketErrorCode: code)
        self.sendCloseAndClose(context: context, payload: payload)
    }

    private func sendCloseAndClose(context: ChannelHandlerContext, payload: ByteBuffer) {
        guard !self.sentClose else { return }
        self.sentClose = true
        let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(close)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}

// MARK: - Plain HTTP (requests that are not WebSocket upgrades)

/// Answers any non-upgrade HTTP request with 426 and closes the connection.
/// Removed from the pipeline when a connection upgrades.
final class PlainHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let name = "nio-echo.plain-http"

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = Self.unwrapInboundIn(data) else { return }

        let body = ByteBuffer(string: "nio-echo: WebSocket echo server; connect with a WebSocket client\n")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Upgrade", value: "websocket")
        headers.add(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: .http1_1, status: .upgradeRequired, headers: headers)

        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}

// MARK: - Server

enum EchoServer {
    /// The server TLS context for --tls-cert/--tls-key, or nil when serving plain ws://.
    static func makeSSLContext(options: Options) throws -> NIOSSLContext? {
        guard let certPath = options.tlsCert, let keyPath = options.tlsKey else { return nil }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certPath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        return try NIOSSLContext(configuration: configuration)
    }

    static func run(options: Options) throws {
        // Load certificate and key before binding, so bad files fail at startup.
        let sslContext = try makeSSLContext(options: options)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
        defer { try? group.syncShutdownGracefully() }

        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: maxFrameSize,
            shouldUpgrade: { channel, _ in
                // Accept every upgrade, on any path, with no extra response headers.
                channel.eventLoop.makeSucceededFuture(HTTPHeaders())
            },
            upgradePipelineHandler: { channel, _ in
                // WebSocketFrameDecoder/Encoder (and the protocol error handler) are
                // already in place; add aggregation and the echo logic.
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(
                        NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 0,
                            maxAccumulatedFrameCount: maxFragmentsPerMessage,
                            maxAccumulatedFrameSize: maxMessageSize
                        )
                    )
                    try sync.addHandler(WebSocketEchoHandler())
                }
            }
        )

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgradeConfiguration: NIOHTTPServerUpgradeConfiguration = (
                        upgraders: [upgrader],
                        completionHandler: { context in
                            // Upgraded: the plain-HTTP handler has no further role.
                            context.pipeline.syncOperations.removeHandler(name: PlainHTTPHandler.name, promise: nil)
                        }
                    )
                    let sync = channel.pipeline.syncOperations
                    if let sslContext {
                        // TLS first: everything after it sees plaintext bytes.
                        try sync.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try sync.configureHTTPServerPipeline(withServerUpgrade: upgradeConfiguration)
                    try sync.addHandler(PlainHTTPHandler(), name: PlainHTTPHandler.name)
                }
            }
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator())

        let channel = try bootstrap.bind(host: "127.0.0.1", port: options.port).wait()
        let port = channel.localAddress?.port ?? options.port
        print("nio-echo listening on 127.0.0.1:\(port)\(sslContext == nil ? "" : " (tls)")")
        fflush(nil)

        // Runs until the process is terminated.
        try channel.closeFuture.wait()
    }
}

let options = parseOptions(CommandLine.arguments)
do {
    try EchoServer.run(options: options)
} catch {
    printError("nio-echo: \(error)")
    exit(1)
}
