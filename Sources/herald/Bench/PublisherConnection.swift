import HeraldCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection that publishes benchmark events, one request in flight.
///
/// Guarantees: the connection is opened once and reused for every publish; ``publish(topic:data:)``
/// returns the response status, or throws when the connection is gone (it is not reopened: a broken
/// publisher shows up in the report as failures, not as a silently slower rate).
struct PublisherConnection: Sendable {
    private let channel: any Channel
    private let hostHeader: String

    private init(channel: any Channel, hostHeader: String) {
        self.channel = channel
        self.hostHeader = hostHeader
    }

    /// Connects to `target` on `eventLoop`.
    static func connect(to target: BenchTarget, on eventLoop: any EventLoop) async throws -> PublisherConnection {
        let address = try SocketAddress(ipAddress: target.host, port: target.port)
        let channel = try await ClientBootstrap(group: eventLoop)
            // why: loopback connects finish in microseconds; 10 s only catches a server that is not there.
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(PublishClientHandler())
                }
            }
            .connect(to: address)
            .get()
        return PublisherConnection(channel: channel, hostHeader: "\(target.host):\(target.port)")
    }

    /// Publishes one event (`{"topic":…,"data":…}`) and returns the response status code.
    func publish(topic: String, data: String) async throws -> UInt {
        let json = "{\"topic\":\(JSONText.quoted(topic)),\"data\":\(JSONText.quoted(data))}"
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: hostHeader)
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(json.utf8.count))
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/publish", headers: headers)
        let response = channel.eventLoop.makePromise(of: UInt.self)
        let request = PublishClientRequest(head: head, body: ByteBuffer(string: json), response: response)
        channel.writeAndFlush(request).whenFailure { response.fail($0) }
        return try await response.futureResult.get()
    }

    /// Closes the connection.
    func close() async {
        try? await channel.close()
    }
}
