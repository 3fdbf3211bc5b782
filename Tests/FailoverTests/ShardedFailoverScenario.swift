import Foundation
import Redis
import TestSupport
import Testing

/// One fault on a Redis Cluster end to end: two Herald nodes behind HAProxy, 200 browser-like clients over six
/// busy topics (two per shard, see ``BusyTopics``), one steady publisher per topic through the balancer; a fault
/// in the middle; then every client and every topic's stream are audited.
///
/// Phases, each bounded: clients connect → publishing runs until `before` events are acknowledged → the fault →
/// publishing goes on until every topic has `afterPerTopic` more → publishing stops → clients catch up →
/// audit: per client and topic, exactly 1...N in order, N the last acknowledged event; per topic, the stream
/// holds exactly 1...N. The counts are printed, so that a run's figures can be quoted.
struct ShardedFailoverScenario {
    static let clients = 200
    // why: 6 topics at 8 events/s, about the 50 events/s a debug build on two shared cores sustains alongside
    // 200 streams, six Redis nodes and the balancer (as FailoverScenario).
    static let eventsPerSecondPerTopic = 8
    static let before = 60
    static let afterPerTopic = 20

    /// What a passed scenario measured, for the test's own checks.
    struct Outcome {
        let counts: SteadyPublisher.Counts
        /// Streams clients opened again after their first (through the balancer, with `Last-Event-ID`).
        let reconnections: Int
    }

    /// What a fault gets: the edges (with the Redis Cluster), the topics and the publishers.
    struct Context {
        let cluster: ShardedFailoverCluster
        let topics: BusyTopics
        let publishers: TopicPublishers
    }

    let name: String
    /// Added to both nodes' command lines.
    var extraArguments: [String] = []

    /// Runs the scenario on `redis`; `fault` breaks something and returns a line describing it. Returns what
    /// was measured, or nil when the scenario failed (the failure is recorded).
    @discardableResult
    func run(on redis: RedisClusterProcess, _ fault: (Context) async throws -> String) async throws -> Outcome? {
        let started = ContinuousClock.now
        let topics = try BusyTopics.choose(try await redis.topology())
        let cluster = try await ShardedFailoverCluster.start(on: redis, extraArguments: extraArguments)
        let fleet = ClientFleet(count: Self.clients, topics: topics.all, port: cluster.balancer.port)
        var outcome: Outcome?
        do {
            outcome = try await body(cluster: cluster, topics: topics, fleet: fleet, fault: fault, started: started)
        } catch {
            Issue.record("\(name): \(error)\n\(cluster.diagnostics())")
        }
        await fleet.stop()
        cluster.shutdown(keepingFiles: outcome == nil)
        return outcome
    }

    /// Returns what was measured when every check passed, nil otherwise.
    private func body(
        cluster: ShardedFailoverCluster, topics: BusyTopics, fleet: ClientFleet, fault: (Context) async throws -> String,
        started: ContinuousClock.Instant
    ) async throws -> Outcome? {
        // why: 200 connections through the balancer in a debug build; 30 s is far above the usual second or two.
        try await fleet.waitUntilConnected(timeout: .seconds(30))
        // why: a publish waits up to 1 s for a replica (--publish-replicas) and HAProxy retries a 503 up to three
        // times; 10 s lets the publisher see the 503 that ends them rather than time out first.
        let publishers = TopicPublishers(
            port: cluster.balancer.port, topics: topics.all, eventsPerSecondPerTopic: Self.eventsPerSecondPerTopic, requestTimeout: .seconds(10)
        )
        let counts: SteadyPublisher.Counts
        let faultDescription: String
        do {
            // why: bounded by the time `before` events take at the steady rate, plus slack for a slow box.
            try await publishers.waitUntil("\(Self.before) events published before the fault", timeout: .seconds(20)) { $0.total >= Self.before }
            faultDescription = try await fault(Context(cluster: cluster, topics: topics, publishers: publishers))
            let atFault = publishers.snapshot.published
            // why: a failed-over shard's topics resume once its replica is promoted (and confirmed by a replica with
            // --publish-replicas), a few seconds; 60 s bounds a shard that never comes back.
            try await publishers.waitUntil("\(Self.afterPerTopic) events per topic after the fault", timeout: .seconds(60)) { counts in
                topics.all.allSatisfy { counts.published[$0, default: 0] >= atFault[$0, default: 0] + Self.afterPerTopic }
            }
            counts = try await publishers.stop()
        } catch {
            await publishers.cancel()
            throw error
        }
        // why: catching up is a replay of at most a few seconds of events; 20 s bounds a stuck client.
        let caughtUp = await fleet.waitUntilCaughtUp(published: counts.published, timeout: .seconds(20))

        let problems = fleet.audit(published: counts.published)
        var storeProblems: [String] = []
        for topic in topics.all {
            let stored = try await cluster.storedData(topic: topic).compactMap { Int($0.split(separator: "#").last ?? "") }
            let expected = Array(1...max(1, counts.published[topic] ?? 0))
            if stored != expected { storeProblems.append("Redis stream of \(topic): \(ClientFleet.difference(stored, expected))") }
        }
        let totals = fleet.totals
        let rewinds = fleet.clients.reduce((0, 0)) { sum, client in (sum.0 + client.snapshot.rewinds, sum.1 + client.snapshot.rewoundEvents) }
        let delivered = fleet.clients.reduce(0) { sum, client in sum + client.snapshot.received.values.reduce(0) { $0 + $1.count } }
        let expectedDeliveries = fleet.clients.reduce(0) { sum, client in sum + client.topics.reduce(0) { $0 + (counts.published[$1] ?? 0) } }
        print("""
            [sharded] \(name): \(faultDescription)
            [sharded] \(name): \(fleet.clients.count) clients, \(counts.total) events acknowledged over \(topics.all.count) topics \
            (\(topics.all.map { "\($0) slot \(ShardedFailoverCluster.slot(of: $0)): \(counts.published[$0] ?? 0)" }.joined(separator: ", "))), \
            \(delivered) events delivered of \(expectedDeliveries) expected, \(totals.connections) connections \
            (\(totals.connections - fleet.clients.count) reconnections, \(totals.heraldErrors) herald.error or herald.unavailable events), \
            \(rewinds.0) history_rewound resets replacing \(rewinds.1) events delivered live but never acknowledged, \
            publishers: \(counts.retries) retried attempts \(counts.failures.sorted { $0.key < $1.key }), \
            \(cluster.balancerRetriedPublishes().map(String.init) ?? "n/a") publishes retried by HAProxy, \
            \(problems.count) client problems, \(storeProblems.count) store problems, \(ContinuousClock.now - started)
            """)
        #expect(caughtUp, "\(name): not every client received the last event of its topics")
        #expect(problems.isEmpty, "\(name): \(problems.count) client problems, first: \(problems.prefix(5).joined(separator: "\n"))")
        #expect(storeProblems.isEmpty, "\(name): \(storeProblems.joined(separator: "\n"))")
        guard problems.isEmpty, storeProblems.isEmpty, caughtUp else {
            print("[sharded] \(name): logs kept in \(cluster.directory) and \(cluster.balancer.directory)\n\(cluster.diagnostics())")
            return nil
        }
        return Outcome(counts: counts, reconnections: totals.connections - fleet.clients.count)
    }
}

/// The busy topics of a sharded scenario: two on each shard, the first shard's two in one hash slot
/// (``sharedSlot``), so that migrating that slot moves two busy topics at once.
struct BusyTopics {
    let all: [String]
    let sharedSlot: Int

    /// Chooses `busy-<n>` names by the slot map in use.
    static func choose(_ topology: RedisClusterTopology) throws -> BusyTopics {
        // why: a name falls in a given slot once in 16,384 on average; a million names find a pair for sure.
        let names = (0..<1_000_000).lazy.map { "busy-\($0)" }
        let slot = ShardedFailoverCluster.slot(of:)
        let masters = topology.shards.compactMap(\.master)
        func served(by master: RedisClusterTopology.Node) -> (String) -> Bool {
            { topology.shard(forSlot: slot($0))?.master == master }
        }
        guard masters.count >= 2, let first = names.first(where: served(by: masters[0])),
              let second = names.first(where: { $0 != first && slot($0) == slot(first) }) else {
            throw FailoverFailure("no pair of busy topics in one slot: \(topology)")
        }
        let others = masters.dropFirst().flatMap { Array(names.filter(served(by: $0)).prefix(2)) }
        return BusyTopics(all: [first, second] + others, sharedSlot: slot(first))
    }
}
