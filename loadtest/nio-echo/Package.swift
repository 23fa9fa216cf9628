// swift-tools-version: 6.0
// nio-echo: a plain SwiftNIO WebSocket echo server, used as the reference peer
// in Switchboard's transport benchmark. Standalone; not part of the product build.
import PackageDescription

let package = Package(
    name: "nio-echo",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "nio-echo", targets: ["nio-echo"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
    ],
    targets: [
        .executableTarget(
            name: "nio-echo",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        )
    ]
)
