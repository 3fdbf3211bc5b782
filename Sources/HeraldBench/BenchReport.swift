#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything one `herald bench` run measured, written as JSON (`--json`) or as a short text summary.
///
/// Latencies are in milliseconds, memory in KiB unless the name says bytes, CPU in % of one core.
package struct BenchReport: Codable, Sendable {
    package struct Settings: Codable, Sendable {
        var url: String
        /// `herald` or `nchan`.
        var server: BenchServer
        var closedLoop: Bool
        /// Events per publish request.
        var batch: Int
        /// Share of subscribers that never read (every k-th, k = round(1 / fraction)).
        var stalledFraction: Double
        /// `--resume-storm`: events back each subscriber resumes from.
        var resumeStormBack: Int?
        var subscribers: Int
        var topics: Int
        var rate: Double
        var durationSeconds: Int
        var publishers: Int
        var payloadBytes: Int
        var rampPerSecond: Int?
        var serverPID: Int32?
        var redisPID: Int32?
        /// The `tokens` load (`--feed`), when it ran instead of the rate-driven publishers.
        package var tokens: TokenLoad?
        /// `--http2-streams`: the subscribers spoke HTTP/2 with this many streams on each connection.
        package var http2StreamsPerConnection: Int?
        var startedAtUnixSeconds: UInt64
        var loadAverageBefore: Double?

        package init(
            url: String, server: BenchServer, closedLoop: Bool, batch: Int, stalledFraction: Double, resumeStormBack: Int?,
            subscribers: Int, topics: Int, rate: Double, durationSeconds: Int, publishers: Int, payloadBytes: Int,
            rampPerSecond: Int?, serverPID: Int32?, redisPID: Int32?
        ) {
            self.url = url
            self.server = server
            self.closedLoop = closedLoop
            self.batch = batch
            self.stalledFraction = stalledFraction
            self.resumeStormBack = resumeStormBack
            self.subscribers = subscribers
            self.topics = topics
            self.rate = rate
            self.durationSeconds = durationSeconds
            self.publishers = publishers
            self.payloadBytes = payloadBytes
            self.rampPerSecond = rampPerSecond
            self.serverPID = serverPID
            self.redisPID = redisPID
            startedAtUnixSeconds = BenchPayload.wallClockNanoseconds() / 1_000_000_000
            loadAverageBefore = ProcessSampler.loadAverage()
        }
    }

    struct Connect: Codable, Sendable {
        /// Every subscriber whose stream opened with 200, stalled ones included.
        var connected: Int
        var failed: Int
        var firstError: String?
        var seconds: Double
    }

    struct Memory: Codable, Sendable {
        var serverRSSBeforeKiB: Int?
        var serverRSSIdleKiB: Int?
        var serverRSSEndKiB: Int?
        /// (idle − before) / connected subscribers.
        var rssPerIdleConnectionBytes: Double?
    }

    struct Latency: Codable, Sendable {
        var count: UInt64
        var p50: Double
        var p90: Double
        var p99: Double
        var max: Double
        var mean: Double

        init(_ histogram: LatencyHistogram) {
            func milliseconds(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
            count = histogram.count
            p50 = milliseconds(histogram.value(atQuantile: 0.5))
            p90 = milliseconds(histogram.value(atQuantile: 0.9))
            p99 = milliseconds(histogram.value(atQuantile: 0.99))
            max = milliseconds(histogram.max)
            mean = histogram.mean / 1000
        }
    }

    struct Publish: Codable, Sendable {
        var connections: Int
        /// First request sent → last answer, in seconds.
        var windowSeconds: Double
        /// Events acknowledged with a 2xx (a batch of N counts N).
        var acknowledged: UInt64
        /// Requests acknowledged with a 2xx.
        var requestsAcknowledged: UInt64
        var requestsPerSecond: Double
        /// Events not acknowledged.
        var failed: UInt64
        var firstError: String?
        /// Acknowledged events per second of the publish window (the publish throughput in closed loop).
        var acknowledgedPerSecond: Double
        var latency: Latency
        var maxScheduleLagMilliseconds: Double
    }

    /// Subscribers that never read (`--stalled-fraction`).
    struct Stalled: Codable, Sendable {
        var subscribers: Int
        /// Stalled streams that had ended when they were let read again after the drain: the server cut them.
        var cutByServer: Int
        /// Seconds waited for the stalled streams to end once reading again.
        var probeSeconds: Double
    }

    /// `--resume-storm`: every healthy subscriber reconnects at once with Last-Event-ID.
    struct ResumeStorm: Codable, Sendable {
        var back: Int
        /// Healthy subscribers that had a resume point and reconnected.
        var attempted: Int
        /// Healthy subscribers without a resume point (fewer than back + 1 events received in order, or no id).
        var unusable: Int
        /// Subscribers that received exactly the `back` following events, in order.
        var resumedOK: Int
        /// attempted + unusable − resumedOK.
        var failed: Int
        var connectFailed: Int
        var firstError: String?
        /// First reconnect started → last subscriber received its last event, in seconds.
        var seconds: Double
        var timedOut: Bool
        /// Per subscriber: its reconnect started → its last expected event, in ms.
        var resumeTime: Latency
        var gaps: UInt64
        var duplicates: UInt64
        var outOfOrder: UInt64
        /// Events after the expected last one, or without a sequence number.
        var unexpected: UInt64
        var missing: UInt64
        var streamsEnded: Int
        var cpu: CPUWindow.Usage?
    }

    /// The `tokens` load: what the generations produced and how long tokens waited in their publishers.
    struct Tokens: Codable, Sendable {
        /// Tokens produced before the deadline (offered).
        var produced: UInt64
        /// Tokens produced but never written (a failed connection, or a publisher still behind when the drain ended).
        var unsent: UInt64
        /// Token produced → written to the socket, in ms: the wait for the previous answer (`request`), for the
        /// window or the answer in flight (`batch`); about zero for `stream`. The delivery latency includes it.
        var wait: Latency
    }

    struct Delivery: Codable, Sendable {
        /// Σ over topics of acknowledged events × connected healthy (not stalled) subscribers of the topic.
        var expected: UInt64
        var delivered: UInt64
        /// Expected events not received by the end of the drain (expected − (delivered − duplicates)).
        var missing: Int64
        var gaps: UInt64
        var duplicates: UInt64
        var outOfOrder: UInt64
        var malformed: UInt64
        var streamsEnded: UInt64
        var firstStreamError: String?
        /// Mean deliveries per second over the publish window without its first and last second.
        var steadyPerSecond: Double
        /// Seconds waited after publishing stopped for the last deliveries.
        var drainSeconds: Double
        var latency: Latency
        var perSecond: [UInt64]
    }

    var settings: Settings
    var connect: Connect
    var memory: Memory
    var publish: Publish?
    var delivery: Delivery?
    var stalled: Stalled?
    var resumeStorm: ResumeStorm?
    var tokens: Tokens?
    /// CPU over the publish window.
    var cpu: CPUWindow.Usage?
    /// CPU over the settle time, with every subscriber connected and nothing published.
    var idleCPU: CPUWindow.Usage?

    /// Pretty-printed JSON with sorted keys.
    package func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
