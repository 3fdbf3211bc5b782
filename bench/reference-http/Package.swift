// swift-tools-version:6.1
import PackageDescription

// The reference for the cost of one publish (bench/publish-cost.sh): the smallest SwiftNIO HTTP/1.1 server,
// answering every request with a constant JSON body. Its own package so that the main build stays lean.
let package = Package(
    name: "reference-http",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        .executableTarget(
            name: "reference-http",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
