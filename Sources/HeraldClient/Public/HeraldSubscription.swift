import AsyncHTTPClient
import Foundation
import NIOCore

/// The events of some topics, as an `AsyncSequence` that reconnects and resumes by itself.
///
/// It behaves as a browser's `EventSource` on a Herald stream: after a dropped connection, a stream the server
/// ended (a draining node, `herald.error`, `herald.unavailable`) or one silent past `idleTimeout`, it waits
/// (the server's `retry:`, growing with each failure in a row, with jitter) and reconnects with the last event
/// id as `Last-Event-ID`, so nothing is lost or repeated. It ends by throwing: `rejected` for a refusal
/// that retrying cannot help (400, 401, 403, 404), `tokenExpired` when the token expired; and it stops when
/// the consuming task is cancelled or the iterator is dropped. Only one iterator may be made.
public struct HeraldSubscription: AsyncSequence, Sendable {
    public enum Item: Sendable, Equatable {
        /// A published event. Its `id` resumes this subscription: pass it as `lastEventID` to start after it.
        case event(SSEEvent)
        /// The history of these topics could not be replayed in full (`herald.reset`): what still exists follows.
        case reset([TopicReset])
        /// The connection ended; the subscription reconnects after `retryingIn`.
        case disconnected(reason: String, retryingIn: Duration)
    }

    /// A topic whose history was lost, and why (`history_trimmed`, `history_recreated`, `history_deleted`,
    /// `history_rewound`).
    public struct TopicReset: Sendable, Equatable, Decodable {
        public var topic: String
        public var reason: String

        public init(topic: String, reason: String) {
            self.topic = topic
            self.reason = reason
        }
    }

    let herald: Herald
    let topics: [String]
    let lastEventID: String?

    public func makeAsyncIterator() -> AsyncThrowingStream<Item, any Error>.Iterator {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Item.self)
        let task = Task { [self] in await run(continuation) }
        continuation.onTermination = { _ in task.cancel() }
        return stream.makeAsyncIterator()
    }

    /// Connects, reads, reconnects, until cancelled or a permanent error.
    private func run(_ continuation: AsyncThrowingStream<Item, any Error>.Continuation) async {
        var connection = ConnectionState(lastEventID: lastEventID, retry: herald.configuration.reconnectDelay)
        while !Task.isCancelled {
            let reason: String
            do {
                reason = try await readOneConnection(&connection, into: continuation)
            } catch let error as HeraldClientError where error.code == .rejected || error.code == .tokenExpired {
                return continuation.finish(throwing: error)
            } catch {
                guard !Task.isCancelled else { break }
                reason = "\(error)"
            }
            let delay = connection.nextDelay(maximum: herald.configuration.maximumReconnectDelay)
            continuation.yield(.disconnected(reason: reason, retryingIn: delay))
            do { try await Task.sleep(for: delay) } catch { break }
        }
        continuation.finish()
    }

    /// Opens one stream and forwards its events; returns why it ended, or throws.
    private func readOneConnection(
        _ connection: inout ConnectionState, into continuation: AsyncThrowingStream<Item, any Error>.Continuation
    ) async throws -> String {
        let query = topics.map { "topic=" + ($0.addingPercentEncoding(withAllowedCharacters: .herald) ?? $0) }.joined(separator: "&")
        var request = HTTPClientRequest(url: herald.configuration.server + "/events?" + query)
        request.headers.add(name: "accept", value: "text/event-stream")
        request.headers.add(name: "cache-control", value: "no-cache")
        for (name, value) in herald.authorization { request.headers.add(name: name, value: value) }
        if let id = connection.lastEventID { request.headers.add(name: "last-event-id", value: id) }
        // why: a stream has no end to wait for; liveness is the idle timeout below, not a deadline.
        let response = try await herald.httpClient.execute(request, deadline: .distantFuture)
        let status = Int(response.status.code)
        guard status == 200 else {
            let body = try await response.body.collect(upTo: 1 << 16)
            let refusal = HeraldClientError.refusal(status: status, body: body)
            if [400, 401, 403, 404].contains(status) { throw refusal }
            if let seconds = response.headers.first(name: "retry-after").flatMap(Int.init) { connection.serverDelay = .seconds(seconds) }
            return refusal.message
        }
        let shared = SharedConnectionState(connection)
        defer { connection = shared.state.withLock { $0 } }
        let watch = IdleWatch(timeout: herald.configuration.idleTimeout)
        return try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                var parser = SSEParser(lastEventID: shared.state.withLock { $0.lastEventID })
                var ending: String?
                for try await buffer in response.body {
                    watch.touch()
                    var items: [SSEParser.Item] = []
                    parser.parse(buffer) { items.append($0) }
                    ending = shared.state.withLock { state in
                        for item in items {
                            switch item {
                            case .retry(let milliseconds): state.retry = .milliseconds(milliseconds)
                            case .comment: break
                            case .event(let event): ending = ending ?? state.handle(event, into: continuation)
                            }
                        }
                        state.lastEventID = parser.lastEventID
                        return ending
                    }
                    if ending == HeraldSubscription.tokenExpiredEnding {
                        throw HeraldClientError(.tokenExpired, "the token expired (herald.token-expired); refresh it and subscribe again from the last event id")
                    }
                }
                return ending ?? "the server closed the stream"
            }
            group.addTask { try await watch.expire() }
            defer { group.cancelAll() }
            return try await group.next() ?? "the stream ended"
        }
    }

    static let tokenExpiredEnding = "herald.token-expired"
}

extension CharacterSet {
    /// What a topic may keep unescaped in a query string: letters, digits, `-._~/:`.
    static let herald = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/:")
}
