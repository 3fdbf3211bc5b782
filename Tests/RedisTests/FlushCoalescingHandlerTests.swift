import NIOCore
import NIOEmbedded
import Testing
@testable import Redis

@Suite("Flush coalescing in front of a Redis connection")
struct FlushCoalescingHandlerTests {
    @Test("writes flushed within one tick reach the socket together, at the end of the tick")
    func flushesWithinATickAreMerged() throws {
        let channel = EmbeddedChannel(handler: FlushCoalescingHandler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
        channel.writeAndFlush(ByteBuffer(string: "a"), promise: nil)
        channel.writeAndFlush(ByteBuffer(string: "b"), promise: nil)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "a"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "b"))
        channel.writeAndFlush(ByteBuffer(string: "c"), promise: nil)
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "c"))
        _ = try channel.finish()
    }
}
