import Benchmark

/// Herald's hot paths, measured in process: SSE encoding, cursor coding, fan-out to in-memory sessions.
///
/// Run with `scripts/microbench.sh` (`swift package benchmark` in this package). Allocation counts come
/// from the benchmark package's malloc interposer, instructions from the hardware performance counters
/// when the machine exposes them (the shared 2-vCPU VM does not); see docs/benchmarks.md ("Micro benchmarks").
let benchmarks: @Sendable () -> Void = {
    // why: a whole run stays under a minute on a busy 2-core box; each benchmark stops at whichever
    // limit comes first. Medians are stable well before either.
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .instructions, .mallocCountTotal, .mallocBytesCount],
        warmupIterations: 10,
        maxDuration: .seconds(3),
        maxIterations: 10_000
    )
    sseEncodingBenchmarks()
    cursorBenchmarks()
    fanOutBenchmarks()
}
