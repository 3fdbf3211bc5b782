import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// `herald bench`: load a running node with SSE subscribers and an open-loop publisher, and report
/// throughput, delivery latency, loss and the server's CPU and memory.
///
/// Loopback only: `--url` must name localhost or an address in 127.0.0.0/8.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark a running Herald node on this machine: fan-out throughput, latency, loss, CPU and memory.",
        discussion: """
            Subscriber i listens to topic bench-<i mod topics>. Each event's data carries a per-topic sequence \
            number and its publish time (wall clock), so every subscriber measures publish→receive latency and \
            checks gaps, duplicates and order. With --rate 0 nothing is published: an idle-memory run.
            """
    )

    @Option(help: "The node to load: http://127.0.0.1:PORT (loopback only).")
    var url: String

    @Option(help: "Number of SSE subscribers.")
    var subscribers = 1000

    @Option(help: "Number of topics; subscriber i subscribes to bench-<i mod topics>.")
    var topics = 1

    @Option(help: "Events published per second in total; 0 publishes nothing (idle run).")
    var rate: Double = 100

    @Option(help: "Seconds of publishing.")
    var duration = 20

    @Option(help: "Keep-alive publisher connections, one request in flight each; topic t goes through connection t mod publishers.")
    var publishers = 1

    @Option(help: "Bytes of event data (padded JSON carrying sequence and timestamp).")
    var payload = 100

    @Option(name: .customLong("server-pid"), help: "PID of the herald server, to sample its CPU and RSS from /proc.")
    var serverPID: Int32?

    @Option(name: .customLong("redis-pid"), help: "PID of redis-server, to sample its CPU from /proc.")
    var redisPID: Int32?

    @Option(help: "Connections opened per second (default: as fast as 256 parallel attempts allow).")
    var ramp: Int?

    @Option(help: "Seconds to wait after connecting before the idle RSS sample.")
    var settle = 5

    @Option(help: "Most seconds to wait after publishing for outstanding deliveries.")
    var drain = 5

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        _ = try target()
        guard subscribers >= 0 else { throw ValidationError("--subscribers must be 0 or more") }
        guard topics >= 1 else { throw ValidationError("--topics must be at least 1") }
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be 0 or more") }
        guard duration >= 0 else { throw ValidationError("--duration must be 0 or more") }
        guard publishers >= 1 else { throw ValidationError("--publishers must be at least 1") }
        guard payload >= 1 else { throw ValidationError("--payload must be at least 1 byte") }
        guard ramp.map({ $0 > 0 }) ?? true else { throw ValidationError("--ramp must be at least 1 connection per second") }
        guard settle >= 0, drain >= 0 else { throw ValidationError("--settle and --drain must be 0 or more") }
    }

    func run() async throws {
        let target = try target()
        let settings = BenchReport.Settings(
            url: url, subscribers: subscribers, topics: topics, rate: rate, durationSeconds: duration,
            publishers: publishers, payloadBytes: payload, rampPerSecond: ramp, serverPID: serverPID, redisPID: redisPID,
            startedAtUnixSeconds: BenchPayload.wallClockNanoseconds() / 1_000_000_000,
            loadAverageBefore: ProcessSampler.loadAverage()
        )
        let runner = BenchRunner(
            target: target, subscribers: subscribers, topics: topics, rate: rate, duration: duration,
            publishers: publishers, payloadSize: payload, rampPerSecond: ramp, serverPID: serverPID, redisPID: redisPID,
            settle: .seconds(settle), drain: .seconds(drain),
            log: { message in
                let line = "bench: \(message)\n"
                _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            }
        )
        let report = try await runner.run(settings: settings)
        print(json ? try report.json() : report.text())
    }

    private func target() throws -> BenchTarget {
        do {
            return try BenchTarget(url: url)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
