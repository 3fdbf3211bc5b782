import NIOCore
import Testing

@testable import Redis

@Suite("RESP2 command encoding")
struct RESPEncodingTests {
    private func encoded(_ command: RedisCommand) -> String {
        var buffer = ByteBuffer()
        command.encode(into: &buffer)
        return String(buffer: buffer)
    }

    @Test("A command without arguments is an array of one bulk string")
    func commandWithoutArguments() {
        #expect(self.encoded(RedisCommand("PING")) == "*1\r\n$4\r\nPING\r\n")
    }

    @Test("String arguments are length-prefixed by their UTF-8 byte count")
    func stringArgumentsUseUTF8Length() {
        #expect(self.encoded(RedisCommand("SET", "k", "héllo")) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\nhéllo\r\n")
    }

    @Test("Integer arguments are sent as decimal bulk strings")
    func integerArguments() {
        let command = RedisCommand("XRANGE", ["s", "-", "+", "COUNT", .integer(100), .integer(-7)])
        #expect(
            self.encoded(command)
                == "*7\r\n$6\r\nXRANGE\r\n$1\r\ns\r\n$1\r\n-\r\n$1\r\n+\r\n$5\r\nCOUNT\r\n$3\r\n100\r\n$2\r\n-7\r\n"
        )
    }

    @Test("Binary arguments with CR LF and NUL inside are sent byte for byte")
    func binaryArgumentsAreExact() {
        let payload: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF, 0x24]
        var buffer = ByteBuffer()
        RedisCommand("SET", ["key", .bytes(ByteBuffer(bytes: payload))]).encode(into: &buffer)
        let expected = Array("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\n".utf8) + payload + Array("\r\n".utf8)
        #expect(buffer.readBytes(length: buffer.readableBytes) == expected)
    }

    @Test("Empty arguments and lengths of ten or more are encoded exactly")
    func emptyAndLongArguments() {
        let long = String(repeating: "x", count: 1234)
        #expect(self.encoded(RedisCommand("SET", "", long)) == "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$1234\r\n\(long)\r\n")
        #expect(self.encoded(RedisCommand("ECHO", "0123456789")) == "*2\r\n$4\r\nECHO\r\n$10\r\n0123456789\r\n")
    }

    @Test("Twelve arguments give an element count of two digits")
    func manyArguments() {
        let command = RedisCommand("DEL", (0..<12).map { RedisArgument.string("k\($0)") })
        #expect(self.encoded(command).hasPrefix("*13\r\n$3\r\nDEL\r\n$2\r\nk0\r\n"))
    }

    @Test("Several commands encode back to back into one buffer")
    func commandsConcatenate() {
        var buffer = ByteBuffer()
        RedisCommand("PING").encode(into: &buffer)
        RedisCommand("GET", "a").encode(into: &buffer)
        #expect(String(buffer: buffer) == "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n")
    }

    @Test("A command's description never shows its arguments")
    func descriptionHidesArguments() {
        #expect(RedisCommand("AUTH", "user", "secret").description == "AUTH (2 arguments)")
    }
}
