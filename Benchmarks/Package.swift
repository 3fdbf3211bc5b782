// swift-tools-version:6.1
import PackageDescription

// Micro benchmarks (ordo-one/benchmark) for Herald's hot paths: SSE encoding, cursor coding, fan-out. Kept in
// their own package so that the benchmark plugin, its malloc interposer and their dependencies never touch the
// main build. Run with scripts/microbench.sh; figures in docs/benchmarks.md ("Micro benchmarks").
let package = Package(
    name: "herald-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "herald", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        // why: the MallocInterposer trait is what counts mallocs on Swift 6.3 (no jemalloc needed); naming the
        // trait explicitly leaves the Linux-6.3-only RuntimeInterposer (ARC counters) off.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "HeraldBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HeraldCore", package: "herald"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Benchmarks/HeraldBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
