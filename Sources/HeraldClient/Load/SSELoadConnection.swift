import NIOCore
import NIOPosix

/// A cheap event-stream connection for the load generator: the response is read at the byte level on the
/// connection's event loop (``SSELoadHandler``: no HTTP codec, no `String` per event, chunked or
/// close-delimited) and each event's `seq`, `ts` and (when asked) id go to a callback, with no Swift task
/// or queue per connection.
///
/// Guarantees: `onEvent` is called on the connection's event loop, once per dispatched event, in stream
/// order; `onEnd` is called exactly once, after the last `onEvent`, with `nil` when the server ended the
/// response or the connection was closed (by either side), or with the failure; when
/// ``connect(host:port:path:headers:timeout:eventLoopGroup:reading:keepingIDs:onEvent:onEnd:)`` throws,
/// neither callback is ever called. Callbacks of one connection never run concurrently with each other,
/// but callbacks of different connections do. The connection closes on ``close()`` or deinit.
package final class SSELoadConnection: Sendable {
    /// The response status code; a load generator should count anything but 200 as a failure.
    package let status: Int
    private let channel: any Channel

    private init(status: Int, channel: any Channel) {
        self.status = status
        self.channel = channel
    }

    deinit {
        channel.close(promise: nil)
    }

    /// Sends `GET path` with `Accept: text/event-stream` (plus `headers`, e.g. `Last-Event-ID`) and returns
    /// once the response head arrived; `timeout` bounds the connection attempt and then the wait for the head.
    ///
    /// With `reading` false the connection stops reading right after the head (a stalled client: the
    /// server's writes pile up in the socket buffers) until ``resumeReading()``. With `keepingIDs` each
    /// event carries its last event id, starting from the `Last-Event-ID` given in `headers`. `opener` makes
    /// the channel (by default a plaintext TCP connection of its own; see ``SSELoadChannelOpener``).
    package static func connect(
        host: String = "127.0.0.1", port: Int, path: String, headers: [(String, String)] = [],
        timeout: Duration = HeraldHTTPClient.defaultTimeout,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        reading: Bool = true, keepingIDs: Bool = false,
        opener: SSELoadChannelOpener = .tcp,
        onEvent: @escaping @Sendable (SSELoadEvent) -> Void,
        onEnd: @escaping @Sendable (HeraldClientError?) -> Void = { _ in }
    ) async throws -> SSELoadConnection {
        let address = try LoopbackAddress.resolve(host: host, port: port)
        var request = "GET \(path) HTTP/1.1\r\n"
        if !headers.contains(where: { $0.0.lowercased() == "host" }) { request += "Host: \(host):\(port)\r\n" }
        if !headers.contains(where: { $0.0.lowercased() == "accept" }) { request += "Accept: text/event-stream\r\n" }
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let lastEventID = headers.last { $0.0.lowercased() == "last-event-id" }.map { Array($0.1.utf8) } ?? []
        let eventLoop = eventLoopGroup.next()
        let headPromise = eventLoop.makePromise(of: Int.self)
        let channel: any Channel
        do {
            channel = try await opener.open(address, eventLoop, timeout) { [request] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        SSELoadHandler(
                            request: ByteBuffer(string: request), headPromise: headPromise,
                            headTimeout: TimeAmount(timeout), reading: reading,
                            scanner: SSELoadScanner(keepingIDs: keepingIDs, lastEventID: lastEventID),
                            onEvent: onEvent, onEnd: onEnd
                        )
                    )
                }
            }
        } catch {
            let failure = HeraldClientError(.connectionFailed, "could not connect to \(address)", underlying: error)
            headPromise.fail(failure)
            throw failure
        }
        let status = try await withTaskCancellationHandler {
            try await headPromise.futureResult.get()
        } onCancel: {
            channel.close(promise: nil)
        }
        return SSELoadConnection(status: status, channel: channel)
    }

    /// Turns reading back on for a connection opened with `reading: false`: what the server wrote meanwhile
    /// is read and scanned, and a connection the server closed then ends.
    package func resumeReading() {
        channel.setOption(ChannelOptions.autoRead, value: true).whenSuccess { [channel] in channel.read() }
    }

    /// Closes the connection and returns once it is closed (`onEnd` has then been called).
    package func shutdown() async {
        try? await channel.close()
    }

    /// Starts closing the connection and returns at once; `onEnd` follows on the event loop.
    package func close() {
        channel.close(promise: nil)
    }
}
