extension BenchReport {
    /// A few lines for a person: one per phase or check, the figures of the JSON without the per-second series.
    package func text() -> String {
        var lines = [
            "server: \(settings.server.rawValue) at \(settings.url)"
                + (settings.http2StreamsPerConnection.map { ", subscribers over HTTP/2 with \($0) streams a connection" } ?? ""),
            "subscribers: \(connect.connected) connected, \(connect.failed) failed in \(Self.number(connect.seconds, 2)) s"
                + (connect.firstError.map { " (first error: \($0))" } ?? ""),
            "server RSS KiB: before \(memory.serverRSSBeforeKiB.map(String.init) ?? "-"), idle \(memory.serverRSSIdleKiB.map(String.init) ?? "-"), end \(memory.serverRSSEndKiB.map(String.init) ?? "-"); per idle connection \(Self.number(memory.rssPerIdleConnectionBytes, 0)) B",
        ]
        if let publish {
            let mode = settings.closedLoop ? "closed loop" : "open loop"
            lines.append("publish (\(mode), batch \(settings.batch), \(publish.connections) connection(s)): \(publish.acknowledged) events acknowledged (\(Self.number(publish.acknowledgedPerSecond)) /s) in \(publish.requestsAcknowledged) requests (\(Self.number(publish.requestsPerSecond)) /s) over \(Self.number(publish.windowSeconds, 2)) s, \(publish.failed) failed"
                + (publish.firstError.map { " (first: \($0))" } ?? ""))
            lines.append("publish latency ms: p50 \(Self.number(publish.latency.p50, 2)), p99 \(Self.number(publish.latency.p99, 2)), max \(Self.number(publish.latency.max, 2))"
                + (settings.closedLoop ? "" : "; max schedule lag \(Self.number(publish.maxScheduleLagMilliseconds)) ms"))
        }
        if let tokens, let load = settings.tokens {
            lines.append("tokens (\(load.feed.rawValue), \(load.generations) generations × \(Self.number(load.tokensPerSecond)) /s): \(tokens.produced) produced, \(tokens.unsent) unsent; wait before the write ms: p50 \(Self.number(tokens.wait.p50, 2)), p99 \(Self.number(tokens.wait.p99, 2)), max \(Self.number(tokens.wait.max, 2))")
        }
        if let delivery {
            lines.append("delivery: \(delivery.delivered) / \(delivery.expected) expected, missing \(delivery.missing); steady \(Self.number(delivery.steadyPerSecond)) /s")
            lines.append("checks: gaps \(delivery.gaps), duplicates \(delivery.duplicates), out of order \(delivery.outOfOrder), malformed \(delivery.malformed), streams ended \(delivery.streamsEnded)")
            let latency = delivery.latency
            lines.append("latency ms: p50 \(Self.number(latency.p50, 2)), p90 \(Self.number(latency.p90, 2)), p99 \(Self.number(latency.p99, 2)), max \(Self.number(latency.max, 2))")
        }
        if let stalled {
            lines.append("stalled subscribers: \(stalled.subscribers), cut by the server \(stalled.cutByServer) (checked within \(Self.number(stalled.probeSeconds, 2)) s of reading again)")
        }
        if let idleCPU {
            lines.append("idle cpu % of one core over \(Self.number(idleCPU.seconds)) s: server \(Self.number(idleCPU.serverPercent)), redis \(Self.number(idleCPU.redisPercent))")
        }
        if let cpu {
            lines.append("cpu % of one core over \(Self.number(cpu.seconds)) s: " + Self.cpuFigures(cpu))
        }
        if let storm = resumeStorm {
            lines.append("resume storm (\(storm.back) back): \(storm.resumedOK) resumed ok, \(storm.failed) failed (\(storm.unusable) without a resume point, \(storm.connectFailed) connect failures)"
                + (storm.firstError.map { " (first: \($0))" } ?? "")
                + "; \(Self.number(storm.seconds, 2)) s from the first reconnect to the last completion" + (storm.timedOut ? " (time limit reached)" : ""))
            lines.append("resume time ms per subscriber: p50 \(Self.number(storm.resumeTime.p50, 2)), p99 \(Self.number(storm.resumeTime.p99, 2)), max \(Self.number(storm.resumeTime.max, 2)); gaps \(storm.gaps), duplicates \(storm.duplicates), out of order \(storm.outOfOrder), unexpected \(storm.unexpected), missing \(storm.missing), streams ended \(storm.streamsEnded)")
            if let cpu = storm.cpu { lines.append("resume storm cpu % of one core over \(Self.number(cpu.seconds)) s: " + Self.cpuFigures(cpu)) }
        }
        return lines.joined(separator: "\n")
    }

    private static func cpuFigures(_ cpu: CPUWindow.Usage) -> String {
        "server \(number(cpu.serverPercent)), redis \(number(cpu.redisPercent)), bench \(number(cpu.benchPercent)), host busy \(number(cpu.hostBusyPercent)), irq+softirq \(number(cpu.hostInterruptsPercent)), other \(number(cpu.otherPercent))"
    }

    private static func number(_ value: Double?, _ digits: Int = 1) -> String {
        guard let value else { return "-" }
        let scale = (0..<digits).reduce(1.0) { value, _ in value * 10 }
        return String((value * scale).rounded() / scale)
    }
}
