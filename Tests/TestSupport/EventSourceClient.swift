import Foundation
import HeraldClient
import NIOCore
import Synchronization

/// A client that behaves like a browser's `EventSource` (WHATWG HTML, "server-sent events"), for failover tests.
///
/// It opens `GET path` and, on a `200` with `Content-Type: text/event-stream`, reads the stream, keeping the
/// last event id string (also from id-only blocks) and the reconnection time (`retry:`). When the stream
/// ends or the connection fails, it waits the reconnection time and reconnects with `Last-Event-ID`. Any
/// other response is fatal, as in a browser, which then gives up for good: the client stops and records why.
///
/// Event data of the form `<topic>#<n>` is recorded per topic as sequence number `n`; anything else is
/// recorded as an anomaly (e.g. `herald.reset`), except `herald.error` and `herald.unavailable` (a temporary
/// refusal: the stream closes and the client comes back after its `retry:`), which are counted. Run it with ``run()`` in a task and cancel the task to stop it.
package final class EventSourceClient: Sendable {
    /// What the client has seen so far.
    package struct Record: Sendable {
        /// Sequence numbers received, per topic, in arrival order.
        package var received: [String: [Int]] = [:]
        /// Streams that delivered something other than a refusal (a heartbeat, an event): the first connection
        /// and every reconnection. A `200` retry stream (`herald.unavailable`) is a refusal, not a connection.
        package var connections = 0
        /// Times the stream ended or failed and the client scheduled a reconnection.
        package var reconnects = 0
        /// Why the client gave up, when it did (a non-200 response, a wrong content type).
        package var fatal: String?
        /// Events that were not `<topic>#<n>` messages, nor `herald.error`: `type data`.
        package var anomalies: [String] = []
        /// `herald.error` events: a node could not serve the stream (e.g. Redis down) and closed it; a
        /// browser reconnects after them, so they are counted, not anomalies.
        package var heraldErrors = 0
        /// `herald.unavailable` notices: a node refused the stream for now (full, shutting down, backend
        /// unavailable before the stream opened); the client reconnects after the `retry:` that came with it.
        package var unavailable = 0
        /// The last event id string.
        package var lastEventID: String?
        /// When the last `<topic>#<n>` event arrived.
        package var lastEventAt: ContinuousClock.Instant?
        /// The longest time between two consecutive `<topic>#<n>` events (any topics): how long the client
        /// waited for an event at worst while events were being published.
        package var longestWait: Duration = .zero
        /// `herald.reset` notices with `history_rewound` (a failover lost events a stream had, and their
        /// numbers were given again), per topic. The client does what an application should: the next event
        /// of the topic replaces what it had from that event's number on.
        package var rewinds = 0
        /// Events dropped from `received` because a rewind replaced them.
        package var rewoundEvents = 0
        /// Topics told `history_rewound` whose next event has not come yet.
        package var rewinding: Set<String> = []
    }

    package let index: Int
    package let topics: [String]
    private let port: Int
    private let path: String
    private let eventLoopGroup: any EventLoopGroup
    private let record = Mutex(Record())

    /// A client of `topics` through the load balancer on `port`; `index` names it in failure messages.
    package init(index: Int, topics: [String], port: Int, eventLoopGroup: any EventLoopGroup) {
        self.index = index
        self.topics = topics
        self.port = port
        self.path = "/events?" + topics.map { "topic=" + TestNode.percentEncode($0) }.joined(separator: "&")
        self.eventLoopGroup = eventLoopGroup
    }

    package var snapshot: Record { record.withLock { $0 } }

    /// Whether the client has had a stream that delivered something other than a refusal.
    package var isConnected: Bool { record.withLock { $0.connections > 0 } }

    /// The last sequence number received for `topic`, or 0.
    package func last(_ topic: String) -> Int {
        record.withLock { $0.received[topic]?.last ?? 0 }
    }

    /// Connects and reconnects until cancelled or until a fatal response.
    package func run() async {
        // why: EventSource's default reconnection time before the server sets one with `retry:`.
        var retry = Duration.seconds(3)
        while !Task.isCancelled {
            let lastEventID = record.withLock { $0.lastEventID }
            do {
                let stream = try await HeraldHTTPClient.openEventStream(
                    port: port, path: path, headers: lastEventID.map { [("Last-Event-ID", $0)] } ?? [],
                    eventLoopGroup: eventLoopGroup
                )
                let contentType = stream.header("content-type") ?? ""
                guard stream.status == 200, contentType.lowercased().hasPrefix("text/event-stream") else {
                    let body = String(buffer: stream.rawBytes).prefix(200)
                    record.withLock { $0.fatal = "status \(stream.status), content-type \(contentType): \(body)" }
                    await stream.close()
                    return
                }
                defer { record.withLock { $0.lastEventID = stream.lastEventID } }
                try await read(stream, retry: &retry)
            } catch is CancellationError {
                return
            } catch {
                // A network error (refused, reset, timed out): the browser reconnects.
            }
            guard !Task.isCancelled else { return }
            record.withLock { $0.reconnects += 1 }
            // why: not a synchronisation: EventSource waits the reconnection time before reconnecting.
            try? await Task.sleep(for: retry)
        }
    }

    private func read(_ stream: SSEStream, retry: inout Duration) async throws {
        var counted = false
        // why: heartbeats arrive every second in these tests, so 30 s of silence means a dead connection.
        while let item = try await stream.next(timeout: .seconds(30)) {
            let partOfRefusal = switch item {
            case .retry: true
            case .event(let event): event.type == "herald.unavailable"
            case .comment: false
            }
            if !partOfRefusal, !counted {
                record.withLock { $0.connections += 1 }
                counted = true
            }
            switch item {
            case .retry(let milliseconds):
                retry = .milliseconds(milliseconds)
            case .comment:
                break
            case .event(let event):
                record.withLock { record in
                    let parts = event.data.split(separator: "#")
                    if event.type == "message", parts.count == 2, let number = Int(parts[1]) {
                        let topic = String(parts[0])
                        if record.rewinding.remove(topic) != nil {
                            let kept = record.received[topic, default: []].prefix { $0 < number }
                            record.rewoundEvents += (record.received[topic]?.count ?? 0) - kept.count
                            record.received[topic] = Array(kept)
                        }
                        record.received[topic, default: []].append(number)
                        let now = ContinuousClock.now
                        if let last = record.lastEventAt { record.longestWait = max(record.longestWait, now - last) }
                        record.lastEventAt = now
                    } else if event.type == "herald.error" {
                        record.heraldErrors += 1
                    } else if event.type == "herald.unavailable" {
                        record.unavailable += 1
                    } else if event.type == "herald.reset", let rewound = Self.rewoundTopics(event.data) {
                        record.rewinds += rewound.count
                        record.rewinding.formUnion(rewound)
                    } else {
                        record.anomalies.append("\(event.type) \(event.data.prefix(200))")
                    }
                    record.lastEventID = event.id
                }
            }
        }
    }

    /// The topics of a `herald.reset` whose every entry has reason `history_rewound`; nil for any other reset
    /// (those stay anomalies).
    private static func rewoundTopics(_ data: String) -> [String]? {
        struct Reset: Decodable {
            struct Entry: Decodable { var topic: String; var reason: String }
            var topics: [Entry]
        }
        guard let reset = try? JSONDecoder().decode(Reset.self, from: Data(data.utf8)), !reset.topics.isEmpty,
            reset.topics.allSatisfy({ $0.reason == "history_rewound" })
        else { return nil }
        return reset.topics.map(\.topic)
    }
}
