// swift-tools-version:6.1
import PackageDescription

// Dependencies point one way: herald → HeraldHTTP/HeraldRedis → HeraldCore; HeraldHTTP → HeraldAuth → HeraldCore;
// HeraldHTTP → HeraldHooks;
// HeraldRedis → Redis → CHiredis.
let package = Package(
    name: "herald",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "herald", targets: ["herald"]),
        // why: the fuzz package in Fuzz/ depends on these by path; products are the only way in from outside.
        .library(name: "HeraldCore", targets: ["HeraldCore"]),
        .library(name: "HeraldWire", targets: ["HeraldWire"]),
        .library(name: "HeraldRedis", targets: ["HeraldRedis"]),
        .library(name: "Redis", targets: ["Redis"]),
        // The client library for applications: publish, and subscribe with reconnect and exact resume.
        .library(name: "HeraldClient", targets: ["HeraldClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        // The public client library (HeraldClient): https, proxies and redirects for applications' publishers.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // SHA-256 of the auth hook's cache keys (HeraldHooks), and RSA key generation for the token tests (already
        // in the graph through jwt-kit).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.1.0"),
        // Metrics: the Redis client records through swift-metrics' API; HeraldMetrics exposes them, and the
        // counters summed at scrape time, with swift-prometheus (a cold build adds about 17 CPU s).
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // TLS at the edge (`--tls-cert`): NIOSSL, and the certificate reloader of swift-nio-extras. Both are in
        // the graph through async-http-client already (the reloader's module aside), so they add little build time.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // HTTP/2 at the edge (ALPN h2, h2c); in the graph through async-http-client already.
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        // Tests only: the certificates of the TLS tests (both already in the graph through swift-nio-extras).
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .target(
            name: "Redis",
            dependencies: [
                "CHiredis",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "HeraldCore",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // JWT verification and topic patterns; the only module that imports JWTKit.
        .target(
            name: "HeraldAuth",
            dependencies: [
                "HeraldCore",
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
        .target(
            name: "HeraldRedis",
            dependencies: [
                "HeraldCore",
                "Redis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The application's auth hooks (--subscribe-auth-url): the question, the answer, the cache and the HTTP
        // client (AsyncHTTPClient, in the graph already for HeraldClient).
        .target(
            name: "HeraldHooks",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "HeraldWire",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // The Prometheus registry, every metric name, and the event-loop lag probe; the only module that imports
        // Prometheus.
        .target(
            name: "HeraldMetrics",
            dependencies: [
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "HeraldHTTP",
            dependencies: [
                "HeraldCore",
                "HeraldAuth",
                "HeraldHooks",
                "HeraldMetrics",
                "HeraldWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOCertificateReloading", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "HeraldClient",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // `herald bench`: the load generator's phases, publishers, subscribers and report; no Herald server code.
        .target(
            name: "HeraldBench",
            dependencies: [
                "HeraldClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ]
        ),
        .executableTarget(
            name: "herald",
            dependencies: [
                "HeraldAuth",
                "HeraldBench",
                "HeraldCore",
                "HeraldHTTP",
                "HeraldHooks",
                "HeraldMetrics",
                "HeraldRedis",
                "HeraldClient",
                "HeraldWire",
                "Redis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "HeraldAuth",
                "HeraldClient",
                "HeraldCore",
                "HeraldHTTP",
                "HeraldRedis",
                "Redis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "HeraldHooksTests",
            dependencies: ["HeraldHooks", .product(name: "NIOPosix", package: "swift-nio")]
        ),
        .testTarget(name: "HeraldWireTests", dependencies: ["HeraldWire", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(
            name: "HeraldClientTests",
            dependencies: [
                "HeraldClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "HeraldClientLibraryTests",
            dependencies: [
                "HeraldClient",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "HeraldBenchTests",
            dependencies: [
                "HeraldBench",
                "HeraldClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ]
        ),
        .testTarget(
            name: "RedisTests",
            dependencies: [
                "Redis",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "HeraldCoreTests",
            dependencies: [
                "HeraldCore",
                "HeraldClient",
                "TestSupport",
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "HeraldHTTPTests",
            dependencies: [
                "HeraldHTTP", "HeraldAuth", "HeraldCore", "HeraldClient", "HeraldHooks", "HeraldWire", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "HeraldAuthTests",
            dependencies: [
                "HeraldAuth",
                "HeraldCore",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "HeraldRedisTests",
            dependencies: [
                "HeraldRedis",
                "HeraldCore",
                "Redis",
                "TestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "HeraldBehaviourTests",
            dependencies: [
                "HeraldHTTP", "HeraldHooks", "HeraldRedis", "HeraldCore", "HeraldClient", "Redis", "TestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Static checks of the deployment files (Dockerfile, Compose, Kubernetes, systemd); YAML is parsed by
        // /usr/bin/python3 with PyYAML through check_yaml.py.
        .testTarget(name: "DeployTests", dependencies: [], exclude: ["check_yaml.py"]),
        // `herald publish`, `tail` and `token` against a live `herald serve`.
        .testTarget(name: "CommandLineTests", dependencies: ["HeraldClient", "TestSupport"]),
        // examples/ (curl, Python, Node) run against a live `herald serve`.
        .testTarget(name: "ExamplesTests", dependencies: ["HeraldClient", "TestSupport", .product(name: "NIOCore", package: "swift-nio")]),
        // schemathesis (PyPI, installed by scripts/install-deps.sh) against a live `herald serve` with docs/openapi.yaml.
        .testTarget(name: "APIConformanceTests", dependencies: ["TestSupport"], exclude: ["schemathesis.toml", "schemathesis_hooks.py"]),
        // Real processes on loopback: redis-server, `herald serve` (the built executable), HAProxy, nginx, Chromium.
        .testTarget(
            name: "FailoverTests",
            dependencies: [
                "HeraldClient",
                "HeraldHTTP",
                "HeraldWire",
                "Redis",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            exclude: ["Resources"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
