// swift-tools-version: 6.0
// Switchboard: a real-time customer-service chat broker.
// Dependencies point inward: C shims -> Posix -> EventLoop -> protocol cores -> server glue.
import PackageDescription

let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        .executable(name: "switchboard-loadtest", targets: ["switchboard-loadtest"]),
        .executable(name: "fuzz-http", targets: ["FuzzHTTP"]),
        .executable(name: "fuzz-frames", targets: ["FuzzFrames"]),
        .executable(name: "fuzz-deflate", targets: ["FuzzDeflate"]),
        .executable(name: "fuzz-protocol", targets: ["FuzzProtocol"]),
        .executable(name: "fuzz-segments", targets: ["FuzzSegments"]),
        .executable(name: "fuzz-privacy", targets: ["FuzzPrivacy"]),
        .executable(name: "fuzz-zones", targets: ["FuzzZoneRules"]),
        .executable(name: "fuzz-resp", targets: ["FuzzRESP"]),
        .executable(name: "fuzz-cluster", targets: ["FuzzCluster"]),
        .executable(name: "fuzz-commands", targets: ["FuzzCommandLog"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        // The broker's configuration file (TOML); parse errors carry the line.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // Logging through the ecosystem's API (Posix.Log is a thin facade over a Logger).
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C: what Glibc does not export (eventfd, accept4, thread names, signals).
        .target(name: "CShims"),
        // libcrypto's SHA-1 for the WebSocket accept key (RFC 6455 §4.2.2), apart from
        // the epoll shims so that the sans-I/O WebSocket core links no syscall layer.
        .target(name: "CSHA1", linkerSettings: [.linkedLibrary("crypto")]),
        // zlib (zlib1g-dev) for permessage-deflate; the init macros wrapped in C.
        .target(name: "CZlib", linkerSettings: [.linkedLibrary("z")]),
        // OpenSSL 3 (libssl-dev) for TLS; macros and callbacks wrapped in C.
        .target(name: "COpenSSL", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        // The one place syscalls are made and errno is read.
        .target(name: "Posix", dependencies: ["CShims", .product(name: "Logging", package: "swift-log")]),
        // Growable byte storage with stable pointers, shared by the cores below.
        .target(name: "ByteBuffers"),
        // One epoll loop per thread: sockets, timers, outbound queues, backpressure.
        .target(name: "EventLoop", dependencies: ["Posix", "ByteBuffers"]),
        // TLS sessions on nonblocking sockets, and certificate reload.
        .target(name: "TLS", dependencies: ["COpenSSL", "Posix"]),
        // The TCP/TLS byte stream (read, write, shut down) of a connection, shared by the
        // server's connections and the load tester's clients.
        .target(name: "ByteTransport", dependencies: ["TLS", "Posix"]),
        // Sans-I/O HTTP/1.1 request parsing and response writing.
        .target(name: "HTTP"),
        // Sans-I/O RFC 6455: handshake, frame codec, UTF-8 validation, close rules.
        .target(name: "WebSocket", dependencies: ["CSHA1", "HTTP", "ByteBuffers"]),
        // The pure domain core: presence, queues, routing, offers, business hours, FAQ.
        // No I/O; time comes from an injected clock.
        .target(
            name: "ChatCore",
            dependencies: [
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                // Wait and speed-of-answer percentiles (WaitDistribution).
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // Sans-I/O RESP2 (the Redis protocol): reply decoder, command encoder, redis:// URLs.
        .target(name: "Redis"),
        // A pipelined, nonblocking Redis link on an event loop (the cluster's only road to Redis).
        .target(name: "RedisClient", dependencies: ["Redis", "CSHA1", "EventLoop", "Posix",
                                                    .product(name: "DequeModule", package: "swift-collections")]),
        // The chat wire protocol switchboard.v1 (protocol/): typed messages, a strict
        // decoder, an encoder, error and close codes. No dependencies at all.
        .target(name: "ChatProtocol"),
        // RFC 7692 permessage-deflate: negotiation and per-message compression via zlib.
        .target(name: "WebSocketDeflate", dependencies: ["CZlib", "ByteBuffers"]),
        // Glue: connections on the loop speaking HTTP, then WebSocket.
        .target(name: "WebSocketServer", dependencies: ["EventLoop", "ByteTransport", "HTTP", "WebSocket", "WebSocketDeflate", "TLS", "Posix", "ByteBuffers"]),
        // Transcripts: a byte-budgeted ring of recent events spilled to checksummed,
        // length-prefixed segment files by a writer thread (group commit, fsync policy),
        // recovery that cuts torn tails, and the index from conversation to records.
        .target(
            name: "ChatStorage",
            dependencies: ["CZlib", "COpenSSL", "Posix", .product(name: "DequeModule", package: "swift-collections")]
        ),
        // Personal numbers (resident numbers, cards, phones, accounts, e-mail) found and
        // masked in message text before anything is stored or relayed. Pure, no I/O.
        .target(name: "Privacy"),
        // The broker's glue: the chat endpoints on the I/O loops, the domain thread that
        // owns the ContactCenter and the transcripts, sign-in, the configuration file.
        .target(
            name: "ChatServer",
            dependencies: [
                "ChatCore", "ChatProtocol", "ChatStorage", "Privacy", "WebSocketServer", "EventLoop", "HTTP", "WebSocket", "Posix", "COpenSSL",
                "Redis", "RedisClient", "CZlib",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // The web pages (widget, console, dashboard, demo store) from web/, embedded at
        // build time as string literals by the plugin below: one binary, no files beside it.
        .target(name: "WebAssets", plugins: ["WebAssetsPlugin"]),
        .plugin(name: "WebAssetsPlugin", capability: .buildTool(), dependencies: ["web-asset-embedder"]),
        .executableTarget(name: "web-asset-embedder", path: "Tools/WebAssetEmbedder"),
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "WebSocketServer", "TLS", "ChatServer", "ChatStorage", "WebAssets", "Redis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "switchboard-loadtest",
            dependencies: [
                "EventLoop", "ByteTransport", "HTTP", "WebSocket", "WebSocketDeflate", "TLS", "Posix", "ByteBuffers", "ChatProtocol", "ChatCore",
                "ChatStorage", "Privacy", "Redis", "RedisClient", "ChatServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            path: "loadtest/Sources/switchboard-loadtest"
        ),
        // libFuzzer entry points; they link in a normal build too (see PLATFORM.md).
        .executableTarget(name: "FuzzHTTP", dependencies: ["HTTP", "ChatServer"]),
        .executableTarget(name: "FuzzFrames", dependencies: ["WebSocket", "ByteBuffers"]),
        .executableTarget(name: "FuzzDeflate", dependencies: ["WebSocketDeflate", "ByteBuffers"]),
        .executableTarget(name: "FuzzProtocol", dependencies: ["ChatProtocol"]),
        .executableTarget(name: "FuzzSegments", dependencies: ["ChatStorage"]),
        .executableTarget(name: "FuzzPrivacy", dependencies: ["Privacy"]),
        .executableTarget(name: "FuzzZoneRules", dependencies: ["ChatCore"]),
        .executableTarget(name: "FuzzRESP", dependencies: ["Redis"]),
        .executableTarget(name: "FuzzCluster", dependencies: ["ChatServer", "Redis"]),
        .executableTarget(name: "FuzzCommandLog", dependencies: ["ChatCore"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket", "HTTP", "ByteBuffers"]),
        .testTarget(name: "WebSocketDeflateTests", dependencies: ["WebSocketDeflate", "ByteBuffers"]),
        // The Erlang-A reference script produced the expected figures; it is not built.
        .testTarget(name: "ChatCoreTests", dependencies: ["ChatCore"], exclude: ["erlang_a_reference.py"]),
        .testTarget(name: "PrivacyTests", dependencies: ["Privacy"]),
        .testTarget(name: "ChatStorageTests", dependencies: ["ChatStorage", "Posix"]),
        // ChatCore only to check that every domain error code has its wire code.
        .testTarget(name: "ChatProtocolTests", dependencies: ["ChatProtocol", "ChatCore"]),
        .testTarget(name: "ChatServerTests", dependencies: ["ChatServer", "ChatCore", "ChatProtocol", "ChatStorage", "Posix", "HTTP",
                                                           "Redis", "RedisClient", "EventLoop", "RedisTestSupport"]),
        .testTarget(name: "WebSocketServerTests", dependencies: ["ByteTransport", "ByteBuffers", "WebSocketServer", "WebSocket", "WebSocketDeflate", "HTTP", "Posix"]),
        .testTarget(name: "RedisTests", dependencies: ["Redis"]),
        // Runs against a real redis-server when one is installed (scripts/setup.sh).
        .testTarget(name: "RedisClientTests", dependencies: ["RedisClient", "Redis", "EventLoop", "Posix", "RedisTestSupport"]),
        // A real redis-server started and stopped by a test (shared by the test targets that need one).
        .target(name: "RedisTestSupport", dependencies: ["Posix", "EventLoop", "Redis", "RedisClient"], path: "Tests/RedisTestSupport"),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop", "Posix", "ByteBuffers",
                                                          .product(name: "Logging", package: "swift-log")]),
    ]
)
