#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything one `herald bench` run measured, written as JSON (`--json`) or as a short text summary.
///
/// Latencies are in milliseconds, memory in KiB unless the name says bytes, CPU in % of one core.
struct BenchReport: Codable, Sendable {
    struct Settings: Codable, Sendable {
        var url: String
        var subscribers: Int
        var topics: Int
        var rate: Double
        var durationSeconds: Int
        var publishers: Int
        var payloadBytes: Int
        var rampPerSecond: Int?
        var serverPID: Int32?
        var redisPID: Int32?
        var startedAtUnixSeconds: UInt64
        var loadAverageBefore: Double?
    }

    struct Connect: Codable, Sendable {
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
        var windowSeconds: Double
        var acknowledged: UInt64
        var failed: UInt64
        var firstError: String?
        var acknowledgedPerSecond: Double
        var latency: Latency
        var maxScheduleLagMilliseconds: Double
    }

    struct Delivery: Codable, Sendable {
        /// Σ over topics of acknowledged publishes × connected subscribers of the topic.
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
    /// CPU over the publish window.
    var cpu: CPUWindow.Usage?
    /// CPU over the settle time, with every subscriber connected and nothing published.
    var idleCPU: CPUWindow.Usage?

    /// Pretty-printed JSON with sorted keys.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A few lines for a person.
    func text() -> String {
        func number(_ value: Double?, _ digits: Int = 1) -> String {
            guard let value else { return "-" }
            let scale = (0..<digits).reduce(1.0) { value, _ in value * 10 }
            return String((value * scale).rounded() / scale)
        }
        var lines = [
            "subscribers: \(connect.connected) connected, \(connect.failed) failed in \(number(connect.seconds, 2)) s"
                + (connect.firstError.map { " (first error: \($0))" } ?? ""),
            "server RSS KiB: before \(memory.serverRSSBeforeKiB.map(String.init) ?? "-"), idle \(memory.serverRSSIdleKiB.map(String.init) ?? "-"), end \(memory.serverRSSEndKiB.map(String.init) ?? "-"); per idle connection \(number(memory.rssPerIdleConnectionBytes, 0)) B",
        ]
        if let publish {
            lines.append("publish: \(publish.acknowledged) acknowledged (\(number(publish.acknowledgedPerSecond)) /s), \(publish.failed) failed"
                + (publish.firstError.map { " (first: \($0))" } ?? "")
                + "; latency p50 \(number(publish.latency.p50, 2)) ms, p99 \(number(publish.latency.p99, 2)) ms; max schedule lag \(number(publish.maxScheduleLagMilliseconds)) ms")
        }
        if let delivery {
            lines.append("delivery: \(delivery.delivered) / \(delivery.expected) expected, missing \(delivery.missing); steady \(number(delivery.steadyPerSecond)) /s")
            lines.append("checks: gaps \(delivery.gaps), duplicates \(delivery.duplicates), out of order \(delivery.outOfOrder), malformed \(delivery.malformed), streams ended \(delivery.streamsEnded)")
            let latency = delivery.latency
            lines.append("latency ms: p50 \(number(latency.p50, 2)), p90 \(number(latency.p90, 2)), p99 \(number(latency.p99, 2)), max \(number(latency.max, 2))")
        }
        if let idleCPU {
            lines.append("idle cpu % of one core over \(number(idleCPU.seconds)) s: server \(number(idleCPU.serverPercent)), redis \(number(idleCPU.redisPercent))")
        }
        if let cpu {
            lines.append("cpu % of one core over \(number(cpu.seconds)) s: server \(number(cpu.serverPercent)), redis \(number(cpu.redisPercent)), bench \(number(cpu.benchPercent)), host busy \(number(cpu.hostBusyPercent)), irq+softirq \(number(cpu.hostInterruptsPercent)), other \(number(cpu.otherPercent))")
        }
        return lines.joined(separator: "\n")
    }
}
