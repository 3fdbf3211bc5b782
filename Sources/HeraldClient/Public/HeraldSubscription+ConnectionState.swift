import Foundation
import Synchronization

extension HeraldSubscription {
    /// What a subscription carries from one connection to the next: where it stands and how long to wait.
    struct ConnectionState: Sendable {
        var lastEventID: String?
        /// The server's `retry:`, or the configured first delay until it sends one.
        var retry: Duration
        /// A `Retry-After` or `retryAfterMs` the server gave for the next attempt only.
        var serverDelay: Duration?
        /// Connections in a row that ended without delivering an event.
        var failures = 0

        /// Handles one event of the stream; returns why the stream is ending when the event says so.
        mutating func handle(_ event: SSEEvent, into continuation: AsyncThrowingStream<Item, any Error>.Continuation) -> String? {
            switch event.type {
            case "herald.reset":
                struct Notice: Decodable { var topics: [TopicReset] }
                let topics = (try? JSONDecoder().decode(Notice.self, from: Data(event.data.utf8)).topics) ?? []
                continuation.yield(.reset(topics))
                return nil
            case "herald.token-expired":
                return HeraldSubscription.tokenExpiredEnding
            case "herald.error", "herald.unavailable":
                struct Notice: Decodable { var message: String?; var retryAfterMs: Int? }
                let notice = try? JSONDecoder().decode(Notice.self, from: Data(event.data.utf8))
                if let milliseconds = notice?.retryAfterMs { serverDelay = .milliseconds(milliseconds) }
                return "\(event.type): \(notice?.message ?? event.data)"
            default:
                failures = 0
                continuation.yield(.event(event))
                return nil
            }
        }

        /// The wait before the next attempt: the server's delay when it gave one, else `retry` doubled for each
        /// failure in a row up to `maximum`; with ±25 % jitter. why: clients of a node that went away must not
        /// all come back at the same instant.
        mutating func nextDelay(maximum: Duration) -> Duration {
            defer {
                failures += 1
                serverDelay = nil
            }
            let base = serverDelay ?? Swift.min(retry * (1 << Swift.min(failures, 5)), maximum)
            return base * Double.random(in: 0.75...1.25)
        }
    }

    /// The connection state, shared between the task that reads a stream and the subscription's loop.
    final class SharedConnectionState: Sendable {
        let state: Mutex<ConnectionState>

        init(_ state: ConnectionState) {
            self.state = Mutex(state)
        }
    }

    /// Notices a stream that has brought nothing for `timeout`.
    final class IdleWatch: Sendable {
        private let timeout: Duration
        private let lastActivity: Mutex<ContinuousClock.Instant>

        init(timeout: Duration) {
            self.timeout = timeout
            self.lastActivity = Mutex(.now)
        }

        func touch() {
            lastActivity.withLock { $0 = .now }
        }

        /// Returns never; throws `timedOut` once `timeout` passed without `touch()`, or when cancelled.
        func expire() async throws -> String {
            while true {
                try await Task.sleep(for: timeout / 4)
                let idle = lastActivity.withLock { ContinuousClock.now - $0 }
                if idle > timeout {
                    throw HeraldClientError(.timedOut, "the stream sent nothing, not even a heartbeat, for \(idle)")
                }
            }
        }
    }
}

extension Herald {
    /// Subscribes to `topics`, starting after `lastEventID` (an event id from an earlier subscription, or from a
    /// publish reply) or, without one, at the topics' current end. See ``HeraldSubscription``.
    public func subscribe(to topics: [String], lastEventID: String? = nil) -> HeraldSubscription {
        HeraldSubscription(herald: self, topics: topics, lastEventID: lastEventID)
    }
}
