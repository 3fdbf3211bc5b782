import Testing
import HeraldClient

@Suite("Chunked body decoding")
struct ChunkedBodyDecoderTests {
    /// Decodes `chunks` in order; returns the body, whether it ended, and the bytes left after the end.
    private func decode(_ chunks: [[UInt8]]) throws -> (body: [UInt8], done: Bool, left: Int) {
        var decoder = ChunkedBodyDecoder()
        var body: [UInt8] = []
        var left = 0
        for chunk in chunks {
            let consumed = try chunk.withUnsafeBytes { bytes in try decoder.decode(bytes) { body.append(contentsOf: $0) } }
            left += chunk.count - consumed
        }
        return (body, decoder.isDone, left)
    }

    @Test("chunk data is joined, extensions and trailers are skipped, and bytes after the end are left")
    func decodes() throws {
        let wire = Array("5;name=v\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: 1\r\n\r\nHTTP/1.1".utf8)
        let result = try decode([wire])
        #expect(String(decoding: result.body, as: UTF8.self) == "hello, world!!!")
        #expect(result.done)
        #expect(result.left == "HTTP/1.1".utf8.count)
    }

    @Test("the same body comes out whatever the split and with bare LF line ends")
    func splits() throws {
        let wire = Array("3\nabc\n1f\r\n0123456789abcdef0123456789abcde\r\n0\n\n".utf8)
        let expected = Array("abc0123456789abcdef0123456789abcde".utf8)
        for split in 0...wire.count {
            let result = try decode([Array(wire[..<split]), Array(wire[split...])])
            #expect(result.body == expected && result.done && result.left == 0, "split at \(split)")
        }
        #expect(try decode(wire.map { [$0] }).body == expected)
    }

    @Test("a size that is not hexadecimal or a missing CRLF after the data throws")
    func malformed() {
        #expect(throws: ChunkedBodyDecoder.Malformed.self) { try decode([Array("zz\r\n".utf8)]) }
        #expect(throws: ChunkedBodyDecoder.Malformed.self) { try decode([Array("2\r\nabX\r\n".utf8)]) }
        #expect(throws: ChunkedBodyDecoder.Malformed.self) { try decode([Array("\r\n".utf8)]) }
    }
}
