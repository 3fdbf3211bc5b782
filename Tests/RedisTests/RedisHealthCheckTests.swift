import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import Redis

/// The channel handler's health check on an embedded channel, whose clock the test moves.
@Suite("Redis health check on an embedded channel")
struct RedisHealthCheckTests {
    static let ping = "*1\r\n$4\r\nPING\r\n"

    private func makeChannel(subscriber: Bool, closeReason: RedisCloseReason? = nil) throws -> EmbeddedChannel {
        let pushes = RedisPushHandler(onMessages: { _ in }, onServerUnsubscribe: { _ in })
        let handler = RedisChannelHandler(
            commandTimeout: .seconds(5),
            healthCheck: (interval: .seconds(1), timeout: .seconds(3)),
            pushHandler: subscriber ? pushes : nil,
            closeReason: closeReason,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
        return channel
    }

    private func written(_ channel: EmbeddedChannel) throws -> [String] {
        var all: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { all.append(String(buffer: buffer)) }
        return all
    }

    @Test("an idle subscribed connection is pinged every interval and the push-style pong keeps it open")
    func subscribedPingPong() throws {
        let channel = try makeChannel(subscriber: true)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(750))
        #expect(try written(channel).isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(250))
        #expect(try written(channel) == [Self.ping])
        for _ in 0..<10 {
            try channel.writeInbound(ByteBuffer(string: "*2\r\n$4\r\npong\r\n$0\r\n\r\n"))
            channel.embeddedEventLoop.advanceTime(by: .seconds(1))
            #expect(try written(channel) == [Self.ping])
        }
        #expect(channel.isActive, "a link that answers every probe stays open")
        _ = try? channel.finish()
    }

    @Test("a connection that stops answering is closed as silent, failing its pending command with timeout")
    func silentLinkCloses() throws {
        let reason = RedisCloseReason()
        let channel = try makeChannel(subscriber: false, closeReason: reason)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try written(channel) == [Self.ping])
        try channel.writeInbound(ByteBuffer(string: "+PONG\r\n"))
        let pending = channel.eventLoop.makePromise(of: RESPValue.self)
        try channel.writeOutbound(RedisRequest.single(RedisCommand("GET", "k"), pending))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(2750))
        #expect(channel.isActive, "not yet: 2.75 s of silence with a reply due")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(250))
        #expect(!channel.isActive)
        let outcome = Mutex<Result<RESPValue, any Error>?>(nil)
        pending.futureResult.whenComplete { result in outcome.withLock { $0 = result } }
        let error = #expect(throws: RedisError.self) { try outcome.withLock { $0 }?.get() }
        #expect(error?.code == .timeout)
        #expect(reason.recorded?.message.contains("sent nothing for 3000 ms") == true, "\(String(describing: reason.recorded))")
    }

    @Test("a busy connection whose replies keep arriving is never probed")
    func busyIsNotProbed() throws {
        let channel = try makeChannel(subscriber: false)
        for _ in 0..<8 {
            let promise = channel.eventLoop.makePromise(of: RESPValue.self)
            try channel.writeOutbound(RedisRequest.single(RedisCommand("GET", "k"), promise))
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(500))
            try channel.writeInbound(ByteBuffer(string: "$1\r\nv\r\n"))
        }
        #expect(try written(channel).allSatisfy { $0 != Self.ping })
        #expect(channel.isActive)
        _ = try? channel.finish()
    }
}
