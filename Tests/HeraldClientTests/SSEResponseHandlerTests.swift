import NIOCore
import NIOEmbedded
import NIOHTTP1
import Synchronization
import Testing
@testable import HeraldClient

/// The response handler of the test client's event streams, driven without sockets.
@Suite("SSE response handler")
struct SSEResponseHandlerTests {
    final class Record: Sendable {
        let state = Mutex<(lastID: String?, idAtDelivery: [String?])>((nil, []))
    }

    @Test("a reader handed an event already sees that event's id as the last event id, never an older one")
    func idBeforeEvent() throws {
        let record = Record()
        let channel = EmbeddedChannel()
        let handler = SSEResponseHandler(
            requestHead: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/events"), lastEventID: nil,
            headPromise: channel.eventLoop.makePromise(), headTimeout: .seconds(5),
            sink: SSEResponseSink(
                body: nil,
                item: { item in
                    if case .event = item { record.state.withLock { $0.idAtDelivery.append($0.lastID) } }
                },
                lastEventID: { id in record.state.withLock { $0.lastID = id } },
                end: { _ in }
            )
        )
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeInbound(HTTPClientResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        try channel.writeInbound(HTTPClientResponsePart.body(ByteBuffer(string: "id: one\ndata: a\n\nid: two\ndata: b\n\n")))
        #expect(record.state.withLock { $0.idAtDelivery } == ["one", "two"])
        #expect(record.state.withLock { $0.lastID } == "two")
        _ = try? channel.finish()
    }
}
