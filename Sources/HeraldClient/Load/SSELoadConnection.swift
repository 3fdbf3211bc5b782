import NIOCore
import NIOPosix

/// A cheap event-stream connection for the load generator: events are parsed on the connection's event loop
/// and handed to a callback, with no Swift task, queue or raw-byte copy per connection.
///
/// Guarantees: `onEvent` is called on the connection's event loop, once per dispatched event, in stream
/// order (comments and `retry` fields are skipped); `onEnd` is called exactly once, after the last
/// `onEvent`, with `nil` when the server ended the response or the connection was closed (by either side),
/// or with the failure; when ``connect(host:port:path:headers:timeout:eventLoopGroup:onEvent:onEnd:)`` throws,
/// neither callback is ever called. Callbacks of one connection never run concurrently with each other, but callbacks
/// of different connections do: keep them short and thread-safe (an atomic counter, a lock-protected
/// histogram). The connection closes on ``close()`` or deinit.
public final class SSELoadConnection: Sendable {
    /// The response status code; a load generator should count anything but 200 as a failure.
    public let status: Int
    private let channel: any Channel

    private init(status: Int, channel: any Channel) {
        self.status = status
        self.channel = channel
    }

    deinit {
        channel.close(promise: nil)
    }

    /// Opens an event stream like ``HeraldHTTPClient/openEventStream(host:port:path:headers:timeout:eventLoopGroup:)``
    /// and returns once the response head arrived; `timeout` bounds that wait only.
    public static func connect(
        host: String = "127.0.0.1", port: Int, path: String, headers: [(String, String)] = [],
        timeout: Duration = HeraldHTTPClient.defaultTimeout,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onEvent: @escaping @Sendable (SSEEvent) -> Void,
        onEnd: @escaping @Sendable (HeraldClientError?) -> Void = { _ in }
    ) async throws -> SSELoadConnection {
        let sink = SSEResponseSink(
            body: nil,
            item: { item in
                if case .event(let event) = item { onEvent(event) }
            },
            end: onEnd
        )
        let (channel, head) = try await HeraldHTTPClient.openResponse(
            host: host, port: port, path: path, headers: headers, timeout: timeout,
            eventLoop: eventLoopGroup.next(), sink: sink
        )
        return SSELoadConnection(status: Int(head.status.code), channel: channel)
    }

    /// Starts closing the connection and returns at once; `onEnd` follows on the event loop.
    public func close() {
        channel.close(promise: nil)
    }
}
