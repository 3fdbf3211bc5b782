import NIOCore
import Testing

@testable import Redis

@Suite("RESP2 parsing with hiredis")
struct RESPParserTests {
    private func parseAll(_ bytes: [UInt8], chunkSize: Int = .max) throws -> [RESPValue] {
        let parser = RESPParser()
        var values: [RESPValue] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunkSize)
            try parser.feed(ByteBuffer(bytes: bytes[offset..<end]))
            while let value = try parser.next() {
                values.append(value)
            }
            offset = end
        }
        return values
    }

    private func parseAll(_ text: String, chunkSize: Int = .max) throws -> [RESPValue] {
        try self.parseAll(Array(text.utf8), chunkSize: chunkSize)
    }

    private func bulk(_ text: String) -> RESPValue {
        .bulkString(ByteBuffer(string: text))
    }

    @Test("Simple strings, errors, integers and bulk strings are parsed")
    func scalarReplies() throws {
        let values = try self.parseAll("+OK\r\n-ERR wrong\r\n:-42\r\n$5\r\nhello\r\n$0\r\n\r\n")
        #expect(values == [.simpleString("OK"), .error("ERR wrong"), .integer(-42), self.bulk("hello"), self.bulk("")])
    }

    @Test("A nil bulk string and a nil array are both null")
    func nilReplies() throws {
        #expect(try self.parseAll("$-1\r\n*-1\r\n*0\r\n") == [.null, .null, .array([])])
    }

    @Test("An error reply keeps Redis' full text and exposes its prefix")
    func errorReply() throws {
        let values = try self.parseAll("-NOSCRIPT No matching script. Please use EVAL.\r\n")
        #expect(values == [.error("NOSCRIPT No matching script. Please use EVAL.")])
        #expect(values.first?.errorPrefix == "NOSCRIPT")
        #expect(values.first?.serverError?.serverErrorPrefix == "NOSCRIPT")
    }

    @Test("Frames fed one byte at a time produce the same replies")
    func partialFrames() throws {
        let text = "+PONG\r\n*2\r\n$3\r\nfoo\r\n:7\r\n$11\r\nhello world\r\n"
        let expected: [RESPValue] = [.simpleString("PONG"), .array([self.bulk("foo"), .integer(7)]), self.bulk("hello world")]
        #expect(try self.parseAll(text, chunkSize: 1) == expected)
        #expect(try self.parseAll(text, chunkSize: 3) == expected)
    }

    @Test("Nested arrays four levels deep, as XREAD returns, are parsed")
    func nestedArrays() throws {
        let text =
            "*1\r\n*2\r\n$6\r\nstream\r\n*2\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
            + "*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
        let entry1: RESPValue = .array([self.bulk("1-0"), .array([self.bulk("a"), self.bulk("1")])])
        let entry2: RESPValue = .array([self.bulk("2-0"), .array([self.bulk("b"), self.bulk("2")])])
        let expected: RESPValue = .array([.array([self.bulk("stream"), .array([entry1, entry2])])])
        #expect(try self.parseAll(text, chunkSize: 1) == [expected])
    }

    @Test("Arrays may hold nil elements and mixed kinds")
    func arraysWithNil() throws {
        let values = try self.parseAll("*4\r\n$-1\r\n:1\r\n+OK\r\n-ERR x\r\n")
        #expect(values == [.array([.null, .integer(1), .simpleString("OK"), .error("ERR x")])])
    }

    @Test("A binary bulk payload with CR LF and NUL inside is kept byte for byte")
    func binaryPayload() throws {
        let payload: [UInt8] = [0x61, 0x0D, 0x0A, 0x00, 0xFF, 0x0D, 0x0A]
        let bytes = Array("$7\r\n".utf8) + payload + Array("\r\n:1\r\n".utf8)
        let values = try self.parseAll(bytes, chunkSize: 2)
        #expect(values == [.bulkString(ByteBuffer(bytes: payload)), .integer(1)])
    }

    @Test("Garbage is a protocol error, and the parser stays failed")
    func garbageIsProtocolError() throws {
        let parser = RESPParser()
        try parser.feed(ByteBuffer(string: "?what\r\n"))
        let error = #expect(throws: RedisError.self) { try parser.next() }
        #expect(error?.code == .protocolError)
        #expect(throws: RedisError.self) { try parser.next() }
    }

    @Test("An array header above the element limit is a protocol error, before anything is allocated for it")
    func hugeArrayHeaderIsProtocolError() throws {
        // Found by Fuzz/FuzzRedisReply: hiredis used to calloc 5 GB for this header alone.
        let parser = RESPParser()
        try parser.feed(ByteBuffer(string: "*637588000\r\n"))
        let error = #expect(throws: RedisError.self) { try parser.next() }
        #expect(error?.code == .protocolError)
        #expect(error?.message.contains("637588000") == true)

        let atLimit = RESPParser()
        try atLimit.feed(ByteBuffer(string: "*\(RESPParser.maximumArrayElements)\r\n:1\r\n"))
        #expect(try atLimit.next() == nil)
        #expect(try self.parseAll("*2\r\n*1\r\n:1\r\n*0\r\n") == [.array([.array([.integer(1)]), .array([])])])
    }

    @Test("RESP3 frames are rejected as protocol errors")
    func resp3IsRejected() throws {
        #expect(throws: RedisError.self) { try self.parseAll("%1\r\n+a\r\n+b\r\n") }
    }

    @Test("Value conveniences read strings, integers, arrays and bytes")
    func conveniences() {
        #expect(RESPValue.simpleString("OK").string == "OK")
        #expect(self.bulk("12").int == 12)
        #expect(RESPValue.integer(3).int == 3)
        #expect(self.bulk("x").int == nil)
        #expect(RESPValue.null.array == nil)
        #expect(RESPValue.array([.integer(1)]).array == [.integer(1)])
        #expect(RESPValue.simpleString("a").bytes == ByteBuffer(string: "a"))
        #expect(RESPValue.error("ERR").string == nil)
    }
}
