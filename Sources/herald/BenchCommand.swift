import ArgumentParser
import HeraldBench
#if canImport(Glibc)
import Glibc
#endif

/// `herald bench`: load a running node (Herald or nchan) with SSE subscribers and open- or closed-loop
/// publishers, and report throughput, delivery latency, loss, slow readers, resume storms and the server's
/// CPU and memory.
///
/// Loopback only: `--url` must name localhost or an address in 127.0.0.0/8.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark a running Herald (or nchan) node on this machine: fan-out throughput, latency, loss, CPU and memory.",
        discussion: """
            Subscriber i listens to topic <prefix>-<i mod topics> (--topic-prefix, default bench). Each event's data carries a per-topic sequence \
            number and its publish time (wall clock), so every subscriber measures publish→receive latency and \
            checks gaps, duplicates and order. With --rate 0 (and no --closed-loop) nothing is published: an \
            idle-memory run. With --subscribers 0 --closed-loop the run measures publish throughput alone. With --feed \
            the run is the tokens load: --topics generations, each a topic fed --token-rate tokens/s of 4–20 bytes, its \
            latency measured from the token's production (the publisher's write unless it waited) to its receipt.
            """
    )

    @Option(help: "The node to load: http://127.0.0.1:PORT, or https:// for TLS subscribers (loopback only; the certificate is not verified).")
    var url: String

    @Option(name: .customLong("publish-url"), help: "Publish to this node instead of --url (another node on the same Redis, loopback only), so that the --url node only delivers.")
    var publishURL: String?

    @Option(help: "What the node is: herald (GET /events?topic=T, POST /publish JSON) or nchan (GET /sub?topic=T, POST /pub?topic=T with the data as body).")
    var server: BenchServer = .herald

    @Option(help: "Number of SSE subscribers.")
    var subscribers = 1000

    @Option(help: "Number of topics; subscriber i subscribes to bench-<i mod topics>.")
    var topics = 1

    @Option(name: .customLong("topic-prefix"), help: "Topics are <prefix>-<n>; give each run a new prefix to load the server with topics it has never seen (the soak scenario).")
    var topicPrefix = "bench"

    @Option(help: "Events published per second in total (open loop); 0 publishes nothing (idle run). Ignored with --closed-loop.")
    var rate: Double = 100

    @Flag(name: .customLong("closed-loop"), help: "Each publisher connection sends its next request as soon as the previous one is answered, with no schedule; the report's publish rate is then the throughput.")
    var closedLoop = false

    @Option(help: ArgumentHelp("Events per publish request (Herald's JSON array body); herald only.", valueName: "n"))
    var batch = 1

    @Option(help: ArgumentHelp("The tokens load: --topics generations, each fed --token-rate tokens/s of 4–20 bytes: request (one POST per token, a keep-alive connection per generation), stream (one streaming NDJSON request per generation; herald only) or batch (--publishers gathering publishers send JSON arrays every --batch-window ms; herald only). --rate is then ignored.", valueName: "feed"))
    var feed: TokenFeed?

    @Option(name: .customLong("token-rate"), help: "With --feed: tokens per second of each generation.")
    var tokenRate: Double = 40

    @Option(name: .customLong("batch-window"), help: "With --feed batch: milliseconds a publisher gathers tokens before sending them as one request.")
    var batchWindow: Double = 5

    @Option(help: "Seconds of publishing.")
    var duration = 20

    @Option(help: "Keep-alive publisher connections, one request in flight each, spread over the client's event loops; topic t goes through connection t mod publishers.")
    var publishers = 1

    @Option(help: "Bytes of event data (padded JSON carrying sequence and timestamp).")
    var payload = 100

    @Option(name: .customLong("server-pid"), help: "PID of the server (herald, or nchan's nginx worker), to sample its CPU and RSS from /proc.")
    var serverPID: Int32?

    @Option(name: .customLong("redis-pid"), help: "PID of redis-server, to sample its CPU from /proc.")
    var redisPID: Int32?

    @Option(help: "Connections opened per second (default: as fast as 256 parallel attempts allow).")
    var ramp: Int?

    @Option(name: .customLong("stalled-fraction"), help: ArgumentHelp("Share of subscribers (0 to 0.5) that stop reading once connected: every k-th one, k = round(1 / fraction). They are left out of delivery, latency and loss figures; the report counts how many the server cut.", valueName: "fraction"))
    var stalledFraction = 0.0

    @Option(name: .customLong("resume-storm"), help: ArgumentHelp("After publishing and the drain, close every stream and reconnect every healthy subscriber at once (1024 in flight) with Last-Event-ID = the id of the event BACK before its last; each must get exactly the BACK following events. Needs BACK ≤ the server's history length.", valueName: "back"))
    var resumeStorm: Int?

    @Option(name: .customLong("http2-streams"), help: ArgumentHelp("Subscribers speak HTTP/2 with n streams on each connection: h2c (prior knowledge) for an http:// --url, ALPN h2 for https://. Without it they speak HTTP/1.1, a connection each.", valueName: "n"))
    var http2Streams: Int?

    @Option(help: "Seconds to wait after connecting before the idle RSS sample.")
    var settle = 5

    @Option(help: "Most seconds to wait after publishing for outstanding deliveries, and then for stalled streams to show they were cut.")
    var drain = 5

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        _ = try target()
        _ = try publishTarget()
        guard subscribers >= 0 else { throw ValidationError("--subscribers must be 0 or more") }
        guard topics >= 1 else { throw ValidationError("--topics must be at least 1") }
        guard !topicPrefix.isEmpty, topicPrefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw ValidationError("--topic-prefix must be letters, digits, '-', '_' or '.' (it goes into URLs and JSON unescaped)")
        }
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be 0 or more") }
        guard duration >= 0 else { throw ValidationError("--duration must be 0 or more") }
        guard publishers >= 1 else { throw ValidationError("--publishers must be at least 1") }
        guard payload >= 1 else { throw ValidationError("--payload must be at least 1 byte") }
        guard ramp.map({ $0 > 0 }) ?? true else { throw ValidationError("--ramp must be at least 1 connection per second") }
        guard settle >= 0, drain >= 0 else { throw ValidationError("--settle and --drain must be 0 or more") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard batch == 1 || server.supportsBatches else {
            throw ValidationError("--batch \(batch): nchan takes one event per request; use --batch 1 with --server nchan")
        }
        if let feed {
            guard feed.isSupported(by: server) else {
                throw ValidationError("--feed \(feed.rawValue): nchan takes one event per request; use --feed request with --server nchan")
            }
            guard tokenRate > 0, tokenRate.isFinite, tokenRate <= 1000 else { throw ValidationError("--token-rate must be above 0 and at most 1000 tokens/s") }
            guard batchWindow > 0, batchWindow.isFinite else { throw ValidationError("--batch-window must be above 0 ms") }
            guard batch == 1, !closedLoop, resumeStorm == nil else {
                throw ValidationError("--feed runs the tokens load; it takes no --batch, --closed-loop or --resume-storm")
            }
        }
        guard http2Streams.map({ (1...1000).contains($0) }) ?? true else { throw ValidationError("--http2-streams must be 1 to 1000") }
        guard (0...0.5).contains(stalledFraction) else { throw ValidationError("--stalled-fraction must be between 0 and 0.5") }
        if let resumeStorm {
            guard resumeStorm >= 1 else { throw ValidationError("--resume-storm must be at least 1 event back") }
            guard duration > 0, closedLoop || rate > 0 else {
                throw ValidationError("--resume-storm needs events to resume from: give --duration and --rate (or --closed-loop)")
            }
        }
    }

    func run() async throws {
        let target = try target()
        let tokens = feed.map {
            TokenLoad(feed: $0, generations: topics, tokensPerSecond: tokenRate, publishers: publishers, windowMilliseconds: batchWindow)
        }
        // why: with --feed the offered rate is the generations' tokens, which is what the report compares with.
        let rate = tokens.map { Double($0.generations) * $0.tokensPerSecond } ?? rate
        var settings = BenchReport.Settings(
            url: url, server: server, closedLoop: closedLoop, batch: batch, stalledFraction: stalledFraction,
            resumeStormBack: resumeStorm, subscribers: subscribers, topics: topics, rate: rate, durationSeconds: duration,
            publishers: publishers, payloadBytes: payload, rampPerSecond: ramp, serverPID: serverPID, redisPID: redisPID
        )
        settings.tokens = tokens
        settings.http2StreamsPerConnection = http2Streams
        var runner = BenchRunner(
            target: target, subscribers: subscribers, topics: topics, rate: rate, duration: duration,
            publishers: publishers, payloadSize: payload, settle: .seconds(settle), drain: .seconds(drain),
            log: { message in
                let line = "bench: \(message)\n"
                _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            }
        )
        runner.server = server
        runner.closedLoop = closedLoop
        runner.batch = batch
        runner.rampPerSecond = ramp
        runner.stalledFraction = stalledFraction
        runner.resumeStorm = resumeStorm
        runner.serverPID = serverPID
        runner.redisPID = redisPID
        runner.topicPrefix = topicPrefix
        runner.tokens = tokens
        runner.publishTarget = try publishTarget()
        runner.http2StreamsPerConnection = http2Streams
        let report = try await runner.run(settings: settings)
        print(json ? try report.json() : report.text())
    }

    private func publishTarget() throws -> BenchTarget? {
        do {
            return try publishURL.map { try BenchTarget(url: $0) }
        } catch {
            throw ValidationError("--publish-url: \(error)")
        }
    }

    private func target() throws -> BenchTarget {
        do {
            return try BenchTarget(url: url)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

extension BenchServer: ExpressibleByArgument {}
extension TokenFeed: ExpressibleByArgument {}
