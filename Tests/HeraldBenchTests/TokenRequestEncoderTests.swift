import Foundation
import HeraldClient
import NIOCore
import Testing
@testable import HeraldBench

@Suite("Token requests written without a JSON encoder")
struct TokenRequestEncoderTests {
    private static let timestamp: UInt64 = 1_795_282_082_561_374_994
    private func token(_ generation: Int, _ sequence: UInt64) -> TokenRequestEncoder.Token {
        TokenRequestEncoder.Token(generation: generation, sequence: sequence, timestamp: Self.timestamp)
    }

    private func encoder(_ server: BenchServer) -> TokenRequestEncoder {
        TokenRequestEncoder(server: server, host: "127.0.0.1", port: 8080, topicPrefix: "gen")
    }

    /// The written bytes split into head text and body bytes.
    private func split(_ buffer: ByteBuffer) -> (head: String, body: [UInt8]) {
        let bytes = Array(buffer.readableBytesView)
        let end = bytes.firstRange(of: Array("\r\n\r\n".utf8))!
        return (String(decoding: bytes[..<end.lowerBound], as: UTF8.self), Array(bytes[end.upperBound...]))
    }

    /// `seq` and `ts` as the subscribers' scanner reads them from `data`.
    private func scanned(_ data: String) -> SSELoadEvent? {
        var scanner = SSELoadScanner()
        var found: SSELoadEvent?
        Array("data: \(data)\n\n".utf8).withUnsafeBytes { scanner.scan($0) { found = $0 } }
        return found
    }

    /// The token text of a data string.
    private func tokenText(_ data: String) throws -> String {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])
        return try #require(object["tok"] as? String)
    }

    @Test("token lengths stay within 4...20 bytes, take every length, and repeat for the same token")
    func lengths() {
        let lengths = (0..<200).flatMap { generation in (1...40).map { TokenRequestEncoder.tokenLength(generation: generation, sequence: UInt64($0)) } }
        #expect(Set(lengths) == Set(4...20))
        #expect(TokenRequestEncoder.tokenLength(generation: 7, sequence: 3) == TokenRequestEncoder.tokenLength(generation: 7, sequence: 3))
    }

    @Test("one token to Herald is the JSON publish form with the data as a string and an exact Content-Length")
    func heraldRequest() throws {
        var buffer = ByteBuffer()
        encoder(.herald).writeRequest(token(12, 5), into: &buffer)
        let (head, body) = split(buffer)
        #expect(head.hasPrefix("POST /publish HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\n"))
        #expect(head.hasSuffix("Content-Length: \(body.count)"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: String])
        #expect(object["topic"] == "gen-12")
        let data = try #require(object["data"])
        #expect(scanned(data) == SSELoadEvent(sequence: 5, timestamp: Self.timestamp))
        #expect(try tokenText(data).utf8.count == TokenRequestEncoder.tokenLength(generation: 12, sequence: 5))
        #expect(data.utf8.count == TokenRequestEncoder.dataLength(token(12, 5), escaped: false))
    }

    @Test("one token to nchan carries the topic in the URL and the data itself as the body")
    func nchanRequest() throws {
        var buffer = ByteBuffer()
        encoder(.nchan).writeRequest(token(0, 40), into: &buffer)
        let (head, body) = split(buffer)
        #expect(head.hasPrefix("POST /pub?topic=gen-0 HTTP/1.1\r\n"))
        #expect(head.hasSuffix("Content-Length: \(body.count)"))
        #expect(scanned(String(decoding: body, as: UTF8.self))?.sequence == 40)
    }

    @Test("a batch is one JSON array of the tokens of several generations, in the order given")
    func batch() throws {
        var buffer = ByteBuffer()
        encoder(.herald).writeBatch([token(3, 1), token(9, 1), token(3, 2)], into: &buffer)
        let (head, body) = split(buffer)
        #expect(head.hasSuffix("Content-Length: \(body.count)"))
        let items = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [[String: String]])
        #expect(items.map { $0["topic"] } == ["gen-3", "gen-9", "gen-3"])
        #expect(items.compactMap { $0["data"].flatMap(scanned)?.sequence } == [1, 1, 2])
    }

    @Test("a streaming request is chunked NDJSON: the topic in the query, one line per chunk of exact length, then the last chunk")
    func stream() throws {
        let encoder = encoder(.herald)
        var buffer = ByteBuffer()
        encoder.writeStreamHead(generation: 4, into: &buffer)
        let (head, rest) = split(buffer)
        #expect(head == "POST /publish?topic=gen-4 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked")
        #expect(rest.isEmpty)
        var body = ByteBuffer()
        for sequence in 1...30 as ClosedRange<UInt64> { encoder.writeStreamLine(token(4, sequence), into: &body) }
        encoder.writeStreamEnd(into: &body)
        var decoder = ChunkedBodyDecoder()
        var decoded: [UInt8] = []
        let consumed = try body.withUnsafeReadableBytes { bytes in try decoder.decode(bytes) { decoded += $0 } }
        #expect(consumed == body.readableBytes && decoder.isDone)
        let lines = decoded.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        #expect(lines.count == 31 && lines.last?.isEmpty == true, "every line ends with a line feed")
        let sequences = try lines.dropLast().map { line -> UInt64? in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: String])
            #expect(object.keys.sorted() == ["data"])
            return object["data"].flatMap(scanned)?.sequence
        }
        #expect(sequences == (1...30).map { $0 })
        let firstSize = String(decoding: Array(body.readableBytesView).prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        #expect(Int(firstSize, radix: 16) == lines[0].count + 1)
    }

    @Test("chunk sizes are written in lower-case hexadecimal")
    func hexadecimal() {
        for value: UInt64 in [0, 9, 10, 15, 16, 255, 4096, 0xDEAD_BEEF] {
            var buffer = ByteBuffer()
            buffer.writeHexadecimal(value)
            #expect(String(buffer: buffer) == String(value, radix: 16))
        }
    }
}
