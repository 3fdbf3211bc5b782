// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for Herald's untrusted-input parsers, kept in their own package so that the sanitizer
// build (every dependency instrumented) never touches the main build. Run them with scripts/fuzz.sh; see
// README.md here.
let package = Package(
    name: "herald-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "herald", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        .executableTarget(
            name: "FuzzPublishBody",
            dependencies: [
                .product(name: "HeraldWire", package: "herald"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "FuzzProxyHeader",
            dependencies: [
                .product(name: "HeraldWire", package: "herald"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "FuzzCursor",
            dependencies: [.product(name: "HeraldCore", package: "herald")]
        ),
        .executableTarget(
            name: "FuzzRedisReply",
            dependencies: [
                .product(name: "Redis", package: "herald"),
                .product(name: "HeraldRedis", package: "herald"),
                .product(name: "HeraldCore", package: "herald"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
