import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 client for Herald's tests and load generator: loopback only, one connection per call.
///
/// Guarantees: hosts other than `localhost` and 127.0.0.0/8 addresses are refused before any connection is
/// made (``HeraldClientError/Code/nonLoopbackHost``); every call is bounded by its `timeout`; a cancelled
/// call closes its connection; no connection outlives the call, except an ``SSEStream``'s, which is closed
/// by the stream's `close()`, deinit or end.
package enum HeraldHTTPClient {
    /// The time limit used when a call does not give one.
    // why: long enough for a loaded CI machine, short enough that a hung test fails within its suite.
    package static let defaultTimeout: Duration = .seconds(10)

    /// Sends one request and returns the complete response.
    ///
    /// Adds `Host`, `Content-Length` (when there is a body) and `Connection: close` unless `headers` has them.
    /// `timeout` bounds the connection attempt, and then again the wait for the complete response.
    package static func request(
        host: String = "127.0.0.1", port: Int, method: HTTPMethod = .GET, path: String,
        headers: [(String, String)] = [], body: ByteBuffer? = nil, timeout: Duration = defaultTimeout,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> HTTPClientResponse {
        let address = try LoopbackAddress.resolve(host: host, port: port)
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: HTTPHeaders(headers))
        addDefaultHeaders(to: &head, host: host, port: port, bodyLength: body?.readableBytes)
        let eventLoop = eventLoopGroup.next()
        let promise = eventLoop.makePromise(of: HTTPClientResponse.self)
        let channel = try await connect(to: address, on: eventLoop, timeout: timeout, failing: promise) { [head] channel in
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            try channel.pipeline.syncOperations.addHandler(
                HTTPExchangeHandler(requestHead: head, requestBody: body, promise: promise, timeout: TimeAmount(timeout))
            )
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    /// Opens an event stream: sends `GET path` with `Accept: text/event-stream` (plus `headers`, e.g.
    /// `Last-Event-ID`) and returns as soon as the response head has arrived.
    ///
    /// `timeout` bounds the wait for the head only; the stream then stays open until closed. The returned
    /// stream's parser starts from the `Last-Event-ID` given in `headers`, as a reconnecting browser's would.
    package static func openEventStream(
        host: String = "127.0.0.1", port: Int, path: String, headers: [(String, String)] = [],
        timeout: Duration = defaultTimeout,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SSEStream {
        let eventLoop = eventLoopGroup.next()
        let queue = SSEItemQueue(eventLoop: eventLoop, lastEventID: headers.last { $0.0.lowercased() == "last-event-id" }?.1)
        let sink = SSEResponseSink(
            body: { queue.append(rawBytes: $0) },
            item: { queue.deliver($0) },
            lastEventID: { queue.lastEventID = $0 },
            end: { queue.finish($0) }
        )
        let (channel, head) = try await openResponse(
            host: host, port: port, path: path, headers: headers, timeout: timeout, eventLoop: eventLoop, sink: sink
        )
        let responseHeaders = head.headers.map { (name: $0.name, value: $0.value) }
        return SSEStream(status: Int(head.status.code), headers: responseHeaders, channel: channel, queue: queue)
    }

    /// Connects, sends the event-stream `GET` and waits for the response head.
    static func openResponse(
        host: String, port: Int, path: String, headers: [(String, String)], timeout: Duration,
        eventLoop: any EventLoop, sink: SSEResponseSink
    ) async throws -> (any Channel, HTTPResponseHead) {
        let address = try LoopbackAddress.resolve(host: host, port: port)
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: HTTPHeaders(headers))
        if !head.headers.contains(name: "Accept") { head.headers.add(name: "Accept", value: "text/event-stream") }
        addDefaultHeaders(to: &head, host: host, port: port, bodyLength: nil)
        let lastEventID = head.headers.first(name: "Last-Event-ID")
        let headPromise = eventLoop.makePromise(of: HTTPResponseHead.self)
        let channel = try await connect(to: address, on: eventLoop, timeout: timeout, failing: headPromise) { [head] channel in
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            try channel.pipeline.syncOperations.addHandler(
                SSEResponseHandler(
                    requestHead: head, lastEventID: lastEventID, headPromise: headPromise,
                    headTimeout: TimeAmount(timeout), sink: sink
                )
            )
        }
        let responseHead = try await withTaskCancellationHandler {
            try await headPromise.futureResult.get()
        } onCancel: {
            channel.close(promise: nil)
        }
        return (channel, responseHead)
    }

    private static func connect<Value>(
        to address: SocketAddress, on eventLoop: any EventLoop, timeout: Duration,
        failing promise: EventLoopPromise<Value>,
        pipeline: @escaping @Sendable (any Channel) throws -> Void
    ) async throws -> any Channel {
        do {
            return try await ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(timeout))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try pipeline(channel) }
                }
                .connect(to: address)
                .get()
        } catch {
            let failure = HeraldClientError(.connectionFailed, "could not connect to \(address)", underlying: error)
            promise.fail(failure)
            throw failure
        }
    }

    private static func addDefaultHeaders(to head: inout HTTPRequestHead, host: String, port: Int, bodyLength: Int?) {
        if !head.headers.contains(name: "Host") { head.headers.add(name: "Host", value: "\(host):\(port)") }
        if let bodyLength, !head.headers.contains(name: "Content-Length"), !head.headers.contains(name: "Transfer-Encoding") {
            head.headers.add(name: "Content-Length", value: String(bodyLength))
        }
        if !head.headers.contains(name: "Connection") { head.headers.add(name: "Connection", value: "close") }
    }
}
