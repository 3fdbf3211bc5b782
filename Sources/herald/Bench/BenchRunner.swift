import NIOCore
import NIOPosix

/// Runs one benchmark: connect the subscribers, let them sit idle, publish for a fixed time, wait for
/// the last deliveries, and measure the server throughout.
///
/// Phases, in order: server RSS *before*; connect every subscriber; wait `settle`; RSS *idle*; publish
/// for `duration` (the CPU window); drain until every expected event arrived or `drain` passed; RSS
/// *end*; close. CPU is sampled over the publish window (`cpu`) and over the settle time (`idleCPU`:
/// heartbeats and idle cost). Progress goes to `log`, figures into the returned ``BenchReport``.
struct BenchRunner: Sendable {
    var target: BenchTarget
    var subscribers: Int
    var topics: Int
    var rate: Double
    var duration: Int
    var publishers: Int
    var payloadSize: Int
    var rampPerSecond: Int?
    var serverPID: Int32?
    var redisPID: Int32?
    var settle: Duration
    var drain: Duration
    var log: @Sendable (String) -> Void

    // why: enough parallel connects to open 10k streams in seconds, few enough to stay inside the
    // server's listen backlog (1024) so no SYN is dropped and retried a second later.
    private static let connectConcurrency = 256
    // why: a drain that polls 10 times a second ends within 100 ms of the last delivery.
    private static let drainPoll = Duration.milliseconds(100)

    func run(settings: BenchReport.Settings) async throws -> BenchReport {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        // why: publishers get a loop of their own, so that acknowledgements are not queued behind the
        // subscribers' reads and publish latency measures the server, not the load generator.
        let publisherGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let report = try await run(settings: settings, group: group, publisherGroup: publisherGroup)
            try await group.shutdownGracefully()
            try await publisherGroup.shutdownGracefully()
            return report
        } catch {
            try? await group.shutdownGracefully()
            try? await publisherGroup.shutdownGracefully()
            throw error
        }
    }

    private func run(
        settings: BenchReport.Settings, group: MultiThreadedEventLoopGroup, publisherGroup: MultiThreadedEventLoopGroup
    ) async throws -> BenchReport {
        var memory = BenchReport.Memory(serverRSSBeforeKiB: serverPID.flatMap(ProcessSampler.residentKiB(pid:)))
        let fleet = SubscriberFleet(subscribers: subscribers, topics: topics, group: group, seconds: duration + Int(drain.seconds) + 2)
        defer { fleet.close() }
        log("connecting \(subscribers) subscribers on \(topics) topic(s)")
        let outcome = await fleet.connect(target: target, concurrency: Self.connectConcurrency, perSecond: rampPerSecond)
        log("connected \(outcome.connected), failed \(outcome.failed) in \(outcome.seconds) s; settling \(settle)")
        let connect = BenchReport.Connect(connected: outcome.connected, failed: outcome.failed, firstError: outcome.firstError, seconds: outcome.seconds)
        let idleCPU = CPUWindow(serverPID: serverPID, redisPID: redisPID)
        try await Task.sleep(for: settle)
        let idleUsage = idleCPU.close()
        memory.serverRSSIdleKiB = serverPID.flatMap(ProcessSampler.residentKiB(pid:))
        if let before = memory.serverRSSBeforeKiB, let idle = memory.serverRSSIdleKiB, outcome.connected > 0 {
            memory.rssPerIdleConnectionBytes = Double(idle - before) * 1024 / Double(outcome.connected)
        }
        var report = BenchReport(settings: settings, connect: connect, memory: memory)
        report.idleCPU = idleUsage
        if rate > 0, duration > 0 {
            try await measurePublishing(into: &report, fleet: fleet, group: publisherGroup)
        }
        report.memory.serverRSSEndKiB = serverPID.flatMap(ProcessSampler.residentKiB(pid:))
        return report
    }

    private func measurePublishing(into report: inout BenchReport, fleet: SubscriberFleet, group: MultiThreadedEventLoopGroup) async throws {
        let pool = PublisherPool(target: target, connections: publishers, topics: topics, rate: rate, payloadSize: payloadSize)
        log("publishing \(rate) events/s for \(duration) s on \(min(publishers, topics)) connection(s)")
        try await fleet.begin(origin: BenchPayload.wallClockNanoseconds())
        let start = ContinuousClock.now
        let cpu = CPUWindow(serverPID: serverPID, redisPID: redisPID)
        let published = try await pool.run(group: group, start: start, deadline: start + .seconds(duration))
        report.cpu = cpu.close()
        let window = (ContinuousClock.now - start).seconds
        report.publish = BenchReport.Publish(
            connections: published.activeConnections, windowSeconds: window, acknowledged: published.acknowledged,
            failed: published.failed, firstError: published.firstError,
            acknowledgedPerSecond: Double(published.acknowledged) / window,
            latency: BenchReport.Latency(published.latency),
            maxScheduleLagMilliseconds: Double(published.maxScheduleLagMicroseconds) / 1000
        )

        let perTopic = fleet.connectedPerTopic
        let expected = zip(published.acknowledgedPerTopic, perTopic).reduce(UInt64(0)) { $0 + $1.0 * UInt64($1.1) }
        let drainStart = ContinuousClock.now
        var stats = try await fleet.snapshot()
        while stats.delivered - stats.duplicates < expected, ContinuousClock.now - drainStart < drain {
            try await Task.sleep(for: Self.drainPoll)
            stats = try await fleet.snapshot()
        }
        let steadySlots = duration >= 3 ? 1..<(duration - 1) : 0..<duration
        let steady = Double(steadySlots.reduce(UInt64(0)) { $0 + stats.perSecond[$1] }) / Double(steadySlots.count)
        report.delivery = BenchReport.Delivery(
            expected: expected, delivered: stats.delivered,
            missing: Int64(expected) - Int64(stats.delivered - stats.duplicates),
            gaps: stats.gaps, duplicates: stats.duplicates, outOfOrder: stats.outOfOrder, malformed: stats.malformed,
            streamsEnded: stats.streamsEnded, firstStreamError: stats.firstStreamError,
            steadyPerSecond: steady, drainSeconds: (ContinuousClock.now - drainStart).seconds,
            latency: BenchReport.Latency(stats.latency), perSecond: stats.perSecond
        )
        log("delivered \(stats.delivered) of \(expected) expected")
    }
}
