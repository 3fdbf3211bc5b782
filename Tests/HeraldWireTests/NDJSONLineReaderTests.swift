import HeraldWire
import NIOCore
import Testing

@Suite("Splitting a newline-delimited body into lines as it arrives")
struct NDJSONLineReaderTests {
    func read(_ chunks: [String], maxLineBytes: Int = 64) throws -> [[String]] {
        var reader = NDJSONLineReader(maxLineBytes: maxLineBytes)
        let lines = try chunks.map { chunk in try reader.read(ByteBuffer(string: chunk)).map { String(buffer: $0) } }
        try reader.finish()
        return lines
    }

    @Test("each line comes out with the read that completes it, without its \\n or \\r\\n; empty lines are skipped")
    func linesAsTheyArrive() throws {
        #expect(try read(["{\"a\":1}\n{\"b\"", ":2}\r\n\n", "{\"c\":3}\n"]) == [["{\"a\":1}"], ["{\"b\":2}"], ["{\"c\":3}"]])
        #expect(try read(["x", "y", "z\n"]) == [[], [], ["xyz"]], "a line split over three reads is gathered")
        #expect(try read(["\n\r\n\n"]) == [[]])
    }

    @Test("lines are counted, empty ones not")
    func lineCount() throws {
        var reader = NDJSONLineReader(maxLineBytes: 16)
        _ = try reader.read(ByteBuffer(string: "a\n\nb\nc"))
        #expect(reader.lineCount == 2)
    }

    @Test("a line over the limit is refused as soon as the limit is passed, before its newline comes; one at the limit passes")
    func lineTooLong() throws {
        var reader = NDJSONLineReader(maxLineBytes: 8)
        _ = try reader.read(ByteBuffer(string: "ok\n1234"))
        #expect(throws: PublishBodyError.self) { _ = try reader.read(ByteBuffer(string: "567890")) }
        do {
            var fresh = NDJSONLineReader(maxLineBytes: 8)
            _ = try fresh.read(ByteBuffer(string: "ok\n1234567890"))
            Issue.record("a 10-byte pending line was held (8 allowed, and one byte for a \\r)")
        } catch {
            #expect(error.code == .lineTooLong)
            #expect(error.message.hasPrefix("line 2 "), "\(error.message)")
        }
        #expect(try read(["12345678\r\n"], maxLineBytes: 8) == [["12345678"]], "the \\r does not count")
    }

    @Test("a body that ends in the middle of a line is refused, naming the line")
    func unterminatedLine() throws {
        var reader = NDJSONLineReader(maxLineBytes: 64)
        _ = try reader.read(ByteBuffer(string: "{\"a\":1}\n{\"b\":"))
        #expect(throws: PublishBodyError.self) { try reader.finish() }
        do {
            try reader.finish()
        } catch {
            #expect(error.code == .unterminatedLine && error.message.hasPrefix("line 2:"), "\(error.message)")
        }
    }
}
