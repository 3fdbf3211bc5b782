import Foundation
import NIOPosix
import TestSupport

/// Many browser-like clients (``EventSourceClient``) through the load balancer, on one shared event loop group.
///
/// Client `i` subscribes to topic `i mod T`; every third client also to the next topic, so that multi-topic
/// cursors are exercised too. ``audit(published:)`` checks what every client received.
final class ClientFleet: Sendable {
    let clients: [EventSourceClient]
    private let eventLoopGroup: MultiThreadedEventLoopGroup
    private let tasks: [Task<Void, Never>]

    init(count: Int, topics: [String], port: Int) {
        // why: two threads carry a few hundred mostly idle streams; the box has two shared cores.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let clients = (0..<count).map { index in
            let first = topics[index % topics.count]
            let subscribed = index % 3 == 0 ? [first, topics[(index + 1) % topics.count]] : [first]
            return EventSourceClient(index: index, topics: subscribed, port: port, eventLoopGroup: group)
        }
        self.eventLoopGroup = group
        self.clients = clients
        self.tasks = clients.map { client in Task { await client.run() } }
    }

    /// Waits (bounded) until every client has had its first `200`; throws naming the stragglers.
    func waitUntilConnected(timeout: Duration) async throws {
        try await poll(timeout: timeout, "clients connected") {
            clients.allSatisfy { $0.isConnected || $0.snapshot.fatal != nil }
        }
        let failed = clients.filter { $0.snapshot.fatal != nil }
        guard failed.isEmpty else {
            throw FailoverFailure("\(failed.count) clients failed to connect, e.g. #\(failed[0].index): \(failed[0].snapshot.fatal ?? "")")
        }
    }

    /// Waits (bounded) until every client that has not given up has the last event of each of its topics.
    /// Returns false on timeout (the audit then says who is behind).
    func waitUntilCaughtUp(published: [String: Int], timeout: Duration) async -> Bool {
        (try? await poll(timeout: timeout, "clients caught up") {
            clients.allSatisfy { client in
                client.snapshot.fatal != nil || client.topics.allSatisfy { client.last($0) >= (published[$0] ?? 0) }
            }
        }) != nil
    }

    /// Every problem found: per client and topic, the sequence received must be exactly 1...N in order (after
    /// `history_rewound` resets, applied as an application would: see `EventSourceClient.Record.rewinds`);
    /// no client may have given up or seen an unexpected event.
    func audit(published: [String: Int]) -> [String] {
        var problems: [String] = []
        for client in clients {
            let record = client.snapshot
            if let fatal = record.fatal { problems.append("client \(client.index) gave up (as a browser would): \(fatal)") }
            if !record.anomalies.isEmpty {
                problems.append("client \(client.index) got unexpected events: \(record.anomalies.prefix(3))")
            }
            for topic in client.topics {
                let received = record.received[topic] ?? []
                let expected = Array(1...max(1, published[topic] ?? 0))
                guard received != expected else { continue }
                problems.append("client \(client.index) \(topic): \(Self.difference(received, expected))")
            }
        }
        return problems
    }

    /// Over all clients: connections with a 200 (first ones and reconnections), reconnections scheduled
    /// (after a stream ended or failed), and `herald.error` and `herald.unavailable` events received.
    var totals: (connections: Int, reconnects: Int, heraldErrors: Int) {
        clients.reduce(into: (0, 0, 0)) { totals, client in
            let record = client.snapshot
            totals.0 += record.connections
            totals.1 += record.reconnects
            totals.2 += record.heraldErrors + record.unavailable
        }
    }

    func stop() async {
        tasks.forEach { $0.cancel() }
        for task in tasks { await task.value }
        try? await eventLoopGroup.shutdownGracefully()
    }

    /// Where `received` first departs from `expected`, with duplicate and missing counts.
    static func difference(_ received: [Int], _ expected: [Int]) -> String {
        let firstBad = zip(received, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(received.count, expected.count)
        let duplicates = received.count - Set(received).count
        let missing = Set(expected).subtracting(received).sorted()
        let window = received[max(0, firstBad - 2)..<min(received.count, firstBad + 3)]
        return "\(received.count) received for 1...\(expected.count); first difference at position \(firstBad) "
            + "(around it: \(Array(window))); \(duplicates) duplicates; missing \(missing.prefix(8))\(missing.count > 8 ? "…" : "")"
    }
}

/// Polls `condition` every 50 ms until it holds, or throws after `timeout`. For conditions observable only
/// from outside (state of other processes reached through sockets), where no event can be awaited.
func poll(timeout: Duration, _ what: String, _ condition: () async -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !(await condition()) {
        guard ContinuousClock.now < deadline else { throw FailoverFailure("timed out after \(timeout) waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}
