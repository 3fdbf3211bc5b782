import Foundation
import TestSupport
import Testing

/// One failover scenario end to end: a cluster behind HAProxy (or nginx), 200 browser-like clients, a steady
/// publisher; a fault in the middle; then every client and the Redis streams are audited.
///
/// Phases, each bounded: clients connect → publishing starts and runs for `before` events → the fault →
/// publishing goes on for `after` more events → publishing stops → clients catch up → audit. The counts
/// are printed, so that a run's figures can be quoted.
struct FailoverScenario {
    static let clients = 200
    static let topics = (0..<4).map { "fo-\($0)" }
    // why: 50 events/s over 4 topics: steady traffic a debug build on two shared cores sustains alongside
    // 200 streams; each scenario publishes a few hundred events.
    static let eventsPerSecond = 50
    static let before = 75
    static let after = 150

    let name: String
    var balancer: LoadBalancerConfig.Kind = .haproxy
    var clientCount = Self.clients
    /// The node reaching Redis through a ``TCPRelay`` (see ``FailoverCluster``), if any.
    var relayedNode: Int?
    /// Added to every node's command line.
    var extraArguments: [String] = []
    /// Where the publisher sends its events: the balancer unless set (e.g. to a healthy node's port).
    var publishPort: (@Sendable (FailoverCluster) -> Int)?
    /// When set, no client may wait longer than this between two events (``EventSourceClient/Record/longestWait``).
    var longestWaitAllowed: Duration?

    /// Runs the scenario; `fault` breaks something and returns a line describing what it did.
    func run(_ fault: (FailoverCluster) async throws -> String) async throws {
        let started = ContinuousClock.now
        let cluster = try await FailoverCluster.start(balancer, relayedNode: relayedNode, extraArguments: extraArguments)
        let fleet = ClientFleet(count: clientCount, topics: Self.topics, port: cluster.balancer.port)
        var passed = false
        do {
            passed = try await body(cluster: cluster, fleet: fleet, fault: fault, started: started)
        } catch {
            Issue.record("\(name): \(error)\n\(cluster.diagnostics())")
        }
        await fleet.stop()
        cluster.shutdown(keepingFiles: !passed)
    }

    /// Returns whether every check passed.
    private func body(cluster: FailoverCluster, fleet: ClientFleet, fault: (FailoverCluster) async throws -> String, started: ContinuousClock.Instant) async throws -> Bool {
        // why: 200 connections through the balancer in a debug build; 30 s is far above the usual second.
        try await fleet.waitUntilConnected(timeout: .seconds(30))
        let publisher = SteadyPublisher(port: publishPort?(cluster) ?? cluster.balancer.port, topics: Self.topics, eventsPerSecond: Self.eventsPerSecond)
        let publishing = Task { try await publisher.run() }
        // why: bounded by the time `before` events take at the steady rate, plus slack for a slow box.
        try await poll(timeout: .seconds(20), "\(Self.before) events published before the fault") {
            publisher.snapshot.total >= Self.before
        }
        let faultDescription = try await fault(cluster)
        let afterFault = publisher.snapshot.total
        try await poll(timeout: .seconds(40), "\(Self.after) events published after the fault") {
            publisher.snapshot.total >= afterFault + Self.after
        }
        publisher.stop()
        let counts = try await publishing.value
        // why: catching up is a replay of at most a few seconds of events; 20 s bounds a stuck client.
        let caughtUp = await fleet.waitUntilCaughtUp(published: counts.published, timeout: .seconds(20))

        let problems = fleet.audit(published: counts.published)
        var storeProblems: [String] = []
        for topic in Self.topics {
            let stored = try cluster.storedData(topic: topic)
            let expected = (1...(counts.published[topic] ?? 0)).map { "\(topic)#\($0)" }
            if stored != expected {
                let numbers = stored.compactMap { Int($0.split(separator: "#").last ?? "") }
                storeProblems.append("Redis stream of \(topic): \(ClientFleet.difference(numbers, Array(1...expected.count)))")
            }
        }
        let totals = fleet.totals
        let events = fleet.clients.reduce(0) { sum, client in sum + client.snapshot.received.values.reduce(0) { $0 + $1.count } }
        let longestWait = fleet.clients.map(\.snapshot.longestWait).max() ?? .zero
        print("""
            [failover] \(name): \(faultDescription)
            [failover] \(name): \(fleet.clients.count) clients, \(counts.total) events published over \(Self.topics.count) topics \
            (\(counts.published.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))), \
            \(events) events delivered, \(totals.connections) connections (\(totals.connections - fleet.clients.count) reconnections, \
            \(totals.heraldErrors) herald.error events), \
            publisher: \(counts.retries) retried attempts \(counts.failures.sorted { $0.key < $1.key }), \
            \(cluster.balancerRetriedPublishes().map(String.init) ?? "n/a") publishes retried by HAProxy, \
            \(problems.count) client problems, \(storeProblems.count) store problems, \(ContinuousClock.now - started), \
            longest wait of a client for an event: \(longestWait)
            """)
        var waitedTooLong = false
        if let allowed = longestWaitAllowed {
            waitedTooLong = longestWait > allowed
            #expect(!waitedTooLong, "\(name): a client waited \(longestWait) for an event; at most \(allowed) is allowed")
        }
        #expect(caughtUp, "\(name): not every client received the last event of its topics")
        #expect(problems.isEmpty, "\(name): \(problems.count) client problems, first: \(problems.prefix(5).joined(separator: "\n"))")
        #expect(storeProblems.isEmpty, "\(name): \(storeProblems.joined(separator: "\n"))")
        let passed = problems.isEmpty && storeProblems.isEmpty && caughtUp && !waitedTooLong
        if !passed {
            print("[failover] \(name): logs kept in \(cluster.directory) and \(cluster.balancer.directory)\n\(cluster.diagnostics())")
        }
        return passed
    }
}
