import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import Redis

@Suite("Redis channel handler on an embedded channel")
struct RedisChannelHandlerTests {
    final class Pushes: Sendable {
        let batches = Mutex<[[RedisPubSubMessage]]>([])
        let dropped = Mutex<[String]>([])

        var handler: RedisPushHandler {
            RedisPushHandler(
                onMessages: { batch in self.batches.withLock { $0.append(batch) } },
                onServerUnsubscribe: { channel in self.dropped.withLock { $0.append(channel) } }
            )
        }
    }

    private func makeChannel(timeout: TimeAmount = .seconds(5), pushes: Pushes? = nil) throws -> EmbeddedChannel {
        let handler = RedisChannelHandler(
            commandTimeout: timeout,
            pushHandler: pushes?.handler,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
        return channel
    }

    /// The result of a future of the embedded loop, or `nil` if it is still pending (never blocks).
    private func result<T: Sendable>(_ future: EventLoopFuture<T>) -> Result<T, any Error>? {
        let box = Mutex<Result<T, any Error>?>(nil)
        future.whenComplete { result in box.withLock { $0 = result } }
        return box.withLock { $0 }
    }

    private func feed(_ channel: EmbeddedChannel, _ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    @Test("A pipeline is written as one buffer and completed by replies split byte by byte")
    func pipelineWithPartialReads() throws {
        let channel = try self.makeChannel()
        let promise = channel.eventLoop.makePromise(of: [RESPValue].self)
        try channel.writeOutbound(RedisRequest.pipeline([RedisCommand("PING"), RedisCommand("GET", "k")], promise))
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: written) == "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
        for byte in "+PONG\r\n$1\r\nv\r\n" {
            try self.feed(channel, String(byte))
        }
        let replies = try #require(self.result(promise.futureResult)).get()
        #expect(replies == [.simpleString("PONG"), .bulkString(ByteBuffer(string: "v"))])
        _ = try channel.finish()
    }

    @Test("Pushes are told apart from confirmations and delivered once per read batch")
    func pubSubDemultiplexing() throws {
        let pushes = Pushes()
        let channel = try self.makeChannel(pushes: pushes)
        let confirmation = channel.eventLoop.makePromise(of: RESPValue.self)
        try channel.writeOutbound(RedisRequest.single(RedisCommand("SSUBSCRIBE", "c"), confirmation))
        channel.pipeline.fireChannelRead(ByteBuffer(string: "*3\r\n$10\r\nssubscribe\r\n$1\r\nc\r\n:1\r\n"))
        channel.pipeline.fireChannelRead(ByteBuffer(string: "*3\r\n$8\r\nsmessage\r\n$1\r\nc\r\n$2\r\nm1\r\n"))
        channel.pipeline.fireChannelRead(ByteBuffer(string: "*3\r\n$8\r\nsmessage\r\n$1\r\nc\r\n$2\r\nm2\r\n"))
        channel.pipeline.fireChannelRead(ByteBuffer(string: "*3\r\n$12\r\nsunsubscribe\r\n$1\r\nc\r\n:0\r\n"))
        #expect(pushes.batches.withLock { $0.isEmpty }, "nothing is delivered before the read batch ends")
        channel.pipeline.fireChannelReadComplete()
        let confirmed = try #require(self.result(confirmation.futureResult)).get()
        #expect(confirmed.array?.first?.string == "ssubscribe")
        let batches = pushes.batches.withLock { $0 }
        #expect(batches.count == 1)
        #expect(batches.first?.map { String(buffer: $0.payload) } == ["m1", "m2"])
        #expect(pushes.dropped.withLock { $0 } == ["c"], "an unsolicited sunsubscribe is reported")
        _ = try channel.finish()
    }

    @Test("An unanswered command times out and closes the channel")
    func commandTimeout() throws {
        let channel = try self.makeChannel(timeout: .milliseconds(100))
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        try channel.writeOutbound(RedisRequest.single(RedisCommand("PING"), promise))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(99))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(2))
        let outcome = try #require(self.result(promise.futureResult))
        let error = #expect(throws: RedisError.self) { try outcome.get() }
        #expect(error?.code == .timeout)
        #expect(!channel.isActive)
    }

    @Test("Pending commands fail with connectionClosed when the channel closes, and later ones at once")
    func closeFailsPending() throws {
        let channel = try self.makeChannel()
        let pending = channel.eventLoop.makePromise(of: RESPValue.self)
        try channel.writeOutbound(RedisRequest.single(RedisCommand("PING"), pending))
        channel.pipeline.fireChannelInactive()
        let outcome = try #require(self.result(pending.futureResult))
        let error = #expect(throws: RedisError.self) { try outcome.get() }
        #expect(error?.code == .connectionClosed)
        let later = channel.eventLoop.makePromise(of: RESPValue.self)
        channel.write(RedisRequest.single(RedisCommand("PING"), later), promise: nil)
        let laterOutcome = try #require(self.result(later.futureResult))
        #expect(throws: RedisError.self) { try laterOutcome.get() }
        _ = try? channel.finish()
    }

    @Test("A reply nobody asked for is a protocol error that closes the channel")
    func unexpectedReply() throws {
        let channel = try self.makeChannel()
        try? self.feed(channel, "+OK\r\n")
        #expect(!channel.isActive)
    }
}
