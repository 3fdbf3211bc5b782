import NIOCore
import Testing

@testable import Redis

@Suite("Pub/sub demultiplexer bookkeeping, driven without I/O")
struct PubSubDemultiplexerTests {
    private func confirmation(_ kind: String, _ channel: String) -> RESPValue {
        .array([.bulkString(ByteBuffer(string: kind)), .bulkString(ByteBuffer(string: channel)), .integer(1)])
    }

    @Test("After N channels were subscribed and unsubscribed, no reply is expected any more")
    func expectationsAreReleased() {
        var demultiplexer = RedisPubSubDemultiplexer()
        let names = (0..<500).map { "herald:{user/\($0)}:live" }
        for name in names { demultiplexer.expectReply(to: RedisCommand("SSUBSCRIBE", name)) }
        #expect(demultiplexer.pendingReplyCount == names.count)
        for name in names { #expect(demultiplexer.route(self.confirmation("ssubscribe", name)) == .reply(self.confirmation("ssubscribe", name))) }
        for name in names { demultiplexer.expectReply(to: RedisCommand("SUNSUBSCRIBE", name)) }
        let message = RESPValue.array([.bulkString(ByteBuffer(string: "smessage")), .bulkString(ByteBuffer(string: names[0])), .bulkString(ByteBuffer(string: "x"))])
        #expect(demultiplexer.route(message) == .buffered, "a message in between consumes no expectation")
        for name in names { _ = demultiplexer.route(self.confirmation("sunsubscribe", name)) }
        #expect(demultiplexer.pendingReplyCount == 0)
        #expect(demultiplexer.takeMessages().count == 1)
        #expect(demultiplexer.takeMessages().isEmpty)
    }
}
