import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Testing
@testable import HeraldBench

@Suite("The load generator's targets and transports")
struct LoadTransportTests {
    @Test("--url takes http:// and https:// on loopback only, and says what to write otherwise")
    func targets() throws {
        let plain = try BenchTarget(url: "http://localhost:8080/")
        #expect(plain.host == "127.0.0.1" && plain.port == 8080 && !plain.tls)
        let tls = try BenchTarget(url: "https://127.0.0.2:8443")
        #expect(tls.host == "127.0.0.2" && tls.port == 8443 && tls.tls)
        for (url, says) in [
            ("ftp://127.0.0.1:21", "only http:// and https://"), ("https://127.0.0.1", "give a host and a port"),
            ("https://10.0.0.1:443", "is not loopback"), ("https://127.0.0.1:443/events", "no path"),
        ] {
            #expect { try BenchTarget(url: url) } throws: { "\($0)".contains(says) }
        }
    }

    @Test("an HTTP/1.1 request head becomes HTTP/2 request headers, pseudo-headers first, Host as :authority")
    func requestHeaders() throws {
        let request = ByteBuffer(string: "GET /events?topic=a HTTP/1.1\r\nAccept: text/event-stream\r\nHost: 127.0.0.1:9\r\nLast-Event-ID: 5-0\r\n\r\n")
        let headers = try HTTP2StreamAdapter.headers(of: request, scheme: "https")
        #expect(headers.map(\.name) == [":method", ":scheme", ":path", ":authority", "accept", "last-event-id"])
        #expect(headers.map(\.value) == ["GET", "https", "/events?topic=a", "127.0.0.1:9", "text/event-stream", "5-0"])
        #expect(throws: HTTP2StreamAdapter.MalformedRequest.self) { try HTTP2StreamAdapter.headers(of: ByteBuffer(string: "GET /\r\n\r\n"), scheme: "http") }
    }

    @Test("a stream's response reaches the HTTP/1.1 reader as a close-delimited head and the DATA frames' bytes, and its end closes")
    func responseFrames() throws {
        let channel = EmbeddedChannel(handler: HTTP2StreamAdapter(scheme: "http"))
        try channel.connect(to: .init(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: [":status": "200"])))
        try channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(string: "data: 1\n\n")))))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "HTTP/1.1 200 -\r\n\r\n"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "data: 1\n\n"))
        #expect(channel.isActive)
        try channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true)))
        #expect(!channel.isActive, "the stream's end did not close the channel")
    }
}
