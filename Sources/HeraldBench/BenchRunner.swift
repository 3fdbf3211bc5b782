import NIOCore
import NIOPosix

/// Runs one benchmark: connect the subscribers, let them sit idle, publish for a fixed time, wait for
/// the last deliveries, check the stalled subscribers, optionally storm the server with resumes, and
/// measure the server throughout.
///
/// Phases, in order: server RSS *before*; connect every subscriber; wait `settle`; RSS *idle*; publish
/// for `duration` (the CPU window); drain until every expected event arrived or `drain` passed; let the
/// stalled subscribers read and count those the server cut (at most `drain`); with `resumeStorm`, close
/// every stream and reconnect every healthy subscriber at once from its resume point (at most a minute);
/// RSS *end*; close. CPU is sampled over the publish window (`cpu`), the settle time (`idleCPU`) and the
/// storm. Progress goes to `log`, figures into the returned ``BenchReport``.
package struct BenchRunner: Sendable {
    package var target: BenchTarget
    /// Where the publishers connect, when not `target`: another node on the same Redis, so that `target`
    /// only delivers (what an edge node does when publishers reach other nodes).
    package var publishTarget: BenchTarget?
    package var server: BenchServer = .herald
    package var subscribers: Int
    package var topics: Int
    /// Events per second in total (open loop); ignored in closed loop.
    package var rate: Double
    package var closedLoop = false
    package var batch = 1
    package var duration: Int
    package var publishers: Int
    package var payloadSize: Int
    package var rampPerSecond: Int?
    package var stalledFraction = 0.0
    package var resumeStorm: Int?
    package var serverPID: Int32?
    package var redisPID: Int32?
    /// The `tokens` load instead of the rate-driven publishers: `topics` generations fed token by token.
    package var tokens: TokenLoad?
    /// Topics are `<topicPrefix>-<n>`; a soak gives each round a prefix of its own, so every round's topics are new.
    package var topicPrefix = "bench"
    /// Subscribers speak HTTP/2 with this many streams on each connection (h2c, or h2 for an `https://`
    /// target); `nil`: HTTP/1.1, a connection per stream.
    package var http2StreamsPerConnection: Int?
    package var settle: Duration
    package var drain: Duration
    package var log: @Sendable (String) -> Void

    package init(target: BenchTarget, subscribers: Int, topics: Int, rate: Double, duration: Int, publishers: Int,
                 payloadSize: Int, settle: Duration, drain: Duration, log: @escaping @Sendable (String) -> Void) {
        self.target = target
        self.subscribers = subscribers
        self.topics = topics
        self.rate = rate
        self.duration = duration
        self.publishers = publishers
        self.payloadSize = payloadSize
        self.settle = settle
        self.drain = drain
        self.log = log
    }

    // why: enough parallel connects to open 10k streams in seconds, few enough to stay inside the
    // server's listen backlog (1024) so no SYN is dropped and retried a second later.
    private static let connectConcurrency = 256
    // why: a storm is meant to hit the server all at once; 1024 in flight matches a 1024 listen backlog.
    private static let stormConcurrency = 1024
    // why: 10k resumes of a few hundred events each take seconds on 2 shared cores; a minute only stops a stuck run.
    private static let stormLimit = Duration.seconds(60)
    // why: a drain that polls 10 times a second ends within 100 ms of the last delivery.
    private static let drainPoll = Duration.milliseconds(100)

    /// Every k-th subscriber stalls, k = round(1 / fraction); `nil` when none does.
    var stalledEvery: Int? {
        stalledFraction > 0 ? max(Int((1 / stalledFraction).rounded()), 1) : nil
    }

    package func run(settings: BenchReport.Settings) async throws -> BenchReport {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        // why: publishers get loops of their own, so that acknowledgements are not queued behind the
        // subscribers' reads and publish latency measures the server, not the load generator.
        // The tokens load spreads its thousands of connections over every core.
        let publisherThreads = tokens == nil ? max(min(publishers, topics, System.coreCount), 1) : System.coreCount
        let publisherGroup = MultiThreadedEventLoopGroup(numberOfThreads: publisherThreads)
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
        if (publishTarget ?? target).tls, tokens != nil || (duration > 0 && (closedLoop || rate > 0)) {
            throw BenchError("the publishers speak plaintext HTTP/1.1: with an https:// --url give --publish-url http://… (e.g. the node's --publish-port)")
        }
        var memory = BenchReport.Memory(serverRSSBeforeKiB: serverPID.flatMap(ProcessSampler.residentKiB(pid:)))
        let transport = try LoadTransport(tls: target.tls, streamsPerConnection: http2StreamsPerConnection)
        let fleet = SubscriberFleet(
            server: server, subscribers: subscribers, topics: topics, group: group, seconds: duration + Int(drain.seconds) + 2,
            stalledEvery: stalledEvery, idDepth: resumeStorm.map { $0 + 1 }, topicPrefix: topicPrefix, transport: transport
        )
        defer { fleet.close() }
        log("connecting \(subscribers) subscribers on \(topics) topic(s) of \(server.rawValue) over \(transport.name)")
        let outcome = await fleet.connect(target: target, concurrency: Self.connectConcurrency, perSecond: rampPerSecond)
        log("connected \(outcome.connected) (\(outcome.stalled) stalled), failed \(outcome.failed) in \(outcome.seconds) s; settling \(settle)")
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
        if duration > 0, closedLoop || rate > 0 {
            try await measurePublishing(into: &report, fleet: fleet, group: publisherGroup)
        }
        if stalledEvery != nil {
            let started = ContinuousClock.now
            let cut = try await fleet.probeStalled(limit: drain, poll: Self.drainPoll)
            report.stalled = BenchReport.Stalled(subscribers: outcome.stalled, cutByServer: cut, probeSeconds: (ContinuousClock.now - started).seconds)
            log("stalled subscribers: \(outcome.stalled), cut by the server: \(cut)")
        }
        if let back = resumeStorm {
            report.resumeStorm = try await stormResumes(back: back, fleet: fleet)
        }
        report.memory.serverRSSEndKiB = serverPID.flatMap(ProcessSampler.residentKiB(pid:))
        return report
    }

    private func measurePublishing(into report: inout BenchReport, fleet: SubscriberFleet, group: MultiThreadedEventLoopGroup) async throws {
        let published: PublishOutcome
        let window: Double
        try await fleet.begin(origin: BenchPayload.wallClockNanoseconds())
        let cpu = CPUWindow(serverPID: serverPID, redisPID: redisPID)
        if let tokens {
            let pool = TokenPublisherPool(target: publishTarget ?? target, server: server, load: tokens, topicPrefix: topicPrefix)
            log("publishing \(tokens.tokensPerSecond) tokens/s to each of \(tokens.generations) generations for \(duration) s, fed by \(tokens.feed.rawValue) over \(tokens.connections) connection(s)")
            let (tally, seconds) = try await pool.run(group: group, duration: .seconds(duration))
            (published, window) = (tally.outcome, seconds)
            report.tokens = BenchReport.Tokens(produced: tally.produced, unsent: tally.unsent, wait: BenchReport.Latency(tally.wait))
        } else {
            let pool = PublisherPool(
                target: publishTarget ?? target, server: server, connections: publishers, topics: topics, rate: closedLoop ? nil : rate,
                batch: batch, payloadSize: payloadSize, topicPrefix: topicPrefix
            )
            log("publishing \(closedLoop ? "closed loop" : "\(rate) events/s") for \(duration) s on \(min(publishers, topics)) connection(s), \(batch) event(s) per request")
            (published, window) = try await pool.run(group: group, duration: .seconds(duration))
        }
        report.cpu = cpu.close()
        report.publish = BenchReport.Publish(
            connections: published.activeConnections, windowSeconds: window, acknowledged: published.acknowledged,
            requestsAcknowledged: published.requestsAcknowledged,
            requestsPerSecond: Double(published.requestsAcknowledged) / window,
            failed: published.failed, firstError: published.firstError,
            acknowledgedPerSecond: Double(published.acknowledged) / window,
            latency: BenchReport.Latency(published.latency),
            maxScheduleLagMilliseconds: Double(published.maxScheduleLagMicroseconds) / 1000
        )
        log("published \(published.acknowledged) events (\(Double(published.acknowledged) / window) /s)")

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

    private func stormResumes(back: Int, fleet: SubscriberFleet) async throws -> BenchReport.ResumeStorm {
        let (points, unusable) = try await fleet.resumePoints(back: back)
        await fleet.closeAll()
        log("resume storm: \(points.count) subscribers reconnect \(back) events back at once (\(unusable) without a resume point)")
        let cpu = CPUWindow(serverPID: serverPID, redisPID: redisPID)
        let storm = try await fleet.resumeStorm(
            points: points, target: target, concurrency: Self.stormConcurrency, limit: Self.stormLimit, poll: .milliseconds(20)
        )
        let stats = storm.stats
        log("resume storm: \(stats.completed) resumed ok in \(storm.seconds) s")
        return BenchReport.ResumeStorm(
            back: back, attempted: storm.attempted, unusable: unusable, resumedOK: stats.completed,
            failed: storm.attempted + unusable - stats.completed, connectFailed: storm.connectFailed,
            firstError: storm.firstConnectError ?? stats.firstStreamError, seconds: storm.seconds, timedOut: storm.timedOut,
            resumeTime: BenchReport.Latency(stats.resumeTime), gaps: stats.gaps, duplicates: stats.duplicates,
            outOfOrder: stats.outOfOrder, unexpected: stats.unexpected, missing: stats.missing,
            streamsEnded: stats.streamsEnded, cpu: cpu.close()
        )
    }
}
