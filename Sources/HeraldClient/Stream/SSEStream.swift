import NIOCore

/// An open `text/event-stream` response, returned by ``HeraldHTTPClient/openEventStream(host:port:path:headers:timeout:eventLoopGroup:)``
/// once the response head has arrived.
///
/// Guarantees: items are parsed by ``SSEParser`` on the connection's event loop and returned in stream order;
/// ``next(timeout:)`` returns `nil` (and iteration finishes) once the server ended the response or closed the
/// connection, after every item received before that; ``rawBytes`` holds the de-chunked body received so far,
/// for byte-for-byte tests. The connection is closed by ``close()``, when the stream is deinitialised, and
/// when the server ends the response. Items are parsed whatever the status code.
package final class SSEStream: AsyncSequence, Sendable {
    package typealias Element = SSEParser.Item

    /// The response status code, e.g. 200.
    package let status: Int
    /// The response header fields in received order.
    package let headers: [(name: String, value: String)]

    private let channel: any Channel
    private let queue: SSEItemQueue

    init(status: Int, headers: [(name: String, value: String)], channel: any Channel, queue: SSEItemQueue) {
        self.status = status
        self.headers = headers
        self.channel = channel
        self.queue = queue
    }

    deinit {
        channel.close(promise: nil)
    }

    /// The first value of the response header `name`, compared case-insensitively, or `nil`.
    package func header(_ name: String) -> String? {
        HTTPClientResponse.values(of: name, in: headers).first
    }

    /// The last event id string after everything received so far, as a browser's `EventSource` keeps it:
    /// set by `id:` fields when a block ends, also by a block without data (Herald's resume point), and
    /// starting from the `Last-Event-ID` request header. A reconnecting client sends it back.
    package var lastEventID: String? { queue.lastEventID }

    /// The response body received so far, de-chunked, exactly as the server sent it.
    package var rawBytes: ByteBuffer { queue.rawBytes }

    /// The next item, or `nil` once the stream has ended.
    ///
    /// Throws ``HeraldClientError/Code/timedOut`` when nothing arrives within `timeout` (the stream stays
    /// usable, so a test can check that nothing is delivered), ``HeraldClientError/Code/connectionClosed``
    /// when the connection failed, and `CancellationError` when the calling task is cancelled. Call it from
    /// one task at a time.
    package func next(timeout: Duration) async throws -> SSEParser.Item? {
        try await queue.next(timeout: timeout)
    }

    /// The next ``SSEEvent``, skipping comments and `retry` fields; `nil` once the stream has ended.
    package func nextEvent(timeout: Duration) async throws -> SSEEvent? {
        let deadline = ContinuousClock.now + timeout
        while let item = try await queue.next(timeout: Swift.max(.zero, deadline - .now)) {
            if case .event(let event) = item { return event }
        }
        return nil
    }

    /// Closes the connection; items already received stay readable, then the sequence ends.
    package func close() async {
        try? await channel.close()
    }

    package func makeAsyncIterator() -> Iterator {
        Iterator(queue: queue)
    }

    /// Iterates without a time limit: wrap the loop in a test's own deadline, or prefer ``next(timeout:)``.
    package struct Iterator: AsyncIteratorProtocol {
        fileprivate let queue: SSEItemQueue

        package mutating func next() async throws -> SSEParser.Item? {
            try await queue.next(timeout: nil)
        }
    }
}
