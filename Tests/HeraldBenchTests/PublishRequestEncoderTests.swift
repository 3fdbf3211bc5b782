import Foundation
import HeraldClient
import NIOCore
import Testing
@testable import HeraldBench

@Suite("Publish requests written without a JSON encoder")
struct PublishRequestEncoderTests {
    /// The request for `count` events from sequence `first`, split into head text and body bytes.
    private func request(_ server: BenchServer, topic: Int = 3, first: UInt64 = 9, count: Int = 1, size: Int = 100) -> (head: String, body: [UInt8]) {
        let encoder = PublishRequestEncoder(server: server, host: "127.0.0.1", port: 8080, payloadSize: size)
        var buffer = ByteBuffer()
        encoder.writeRequest(topic: encoder.topic(index: topic), firstSequence: first, count: count, timestamp: 1_795_282_082_561_374_994, into: &buffer)
        let bytes = Array(buffer.readableBytesView)
        let split = bytes.firstRange(of: Array("\r\n\r\n".utf8))!
        return (String(decoding: bytes[..<split.lowerBound], as: UTF8.self), Array(bytes[split.upperBound...]))
    }

    /// `seq` and `ts` as the subscribers' scanner reads them from `data`.
    private func scanned(_ data: String) -> SSELoadEvent? {
        var scanner = SSELoadScanner()
        var found: SSELoadEvent?
        Array("data: \(data)\n\n".utf8).withUnsafeBytes { scanner.scan($0) { found = $0 } }
        return found
    }

    @Test("a Herald request is valid JSON whose data string is the padded payload, with an exact Content-Length")
    func heraldSingle() throws {
        let (head, body) = request(.herald)
        #expect(head.hasPrefix("POST /publish HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\n"))
        #expect(head.hasSuffix("Content-Length: \(body.count)"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: String])
        #expect(object["topic"] == "bench-3")
        let data = try #require(object["data"])
        #expect(data.utf8.count == 100)
        #expect(data.hasPrefix(#"{"seq":9,"ts":1795282082561374994,"topic":"bench-3","pad":"xx"#))
        #expect(scanned(data) == SSELoadEvent(sequence: 9, timestamp: 1_795_282_082_561_374_994))
    }

    @Test("a Herald batch is a JSON array of consecutive sequence numbers, padded to the same size")
    func heraldBatch() throws {
        let (head, body) = request(.herald, first: 98, count: 4)
        #expect(head.hasSuffix("Content-Length: \(body.count)"))
        let items = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [[String: String]])
        #expect(items.count == 4)
        #expect(items.compactMap { $0["data"].flatMap(scanned)?.sequence } == [98, 99, 100, 101])
        #expect(items.allSatisfy { $0["data"]?.utf8.count == 100 && $0["topic"] == "bench-3" })
    }

    @Test("an nchan request carries the topic in the URL and the payload itself as the body")
    func nchan() throws {
        let (head, body) = request(.nchan, topic: 0, size: 120)
        #expect(head.hasPrefix("POST /pub?topic=bench-0 HTTP/1.1\r\n"))
        #expect(head.hasSuffix("Content-Length: 120"))
        #expect(body.count == 120)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(object["topic"] as? String == "bench-0")
        #expect(scanned(String(decoding: body, as: UTF8.self))?.sequence == 9)
    }

    @Test("a payload smaller than its fields is not cut, only left unpadded")
    func tinyPayload() throws {
        let (_, body) = request(.nchan, size: 1)
        #expect(String(decoding: body, as: UTF8.self) == #"{"seq":9,"ts":1795282082561374994,"topic":"bench-3","pad":""}"#)
    }

    @Test("decimal digits are written and counted alike", arguments: [UInt64(0), 7, 10, 99, 12345, UInt64.max])
    func decimal(value: UInt64) {
        var buffer = ByteBuffer()
        buffer.writeDecimal(value)
        #expect(String(buffer: buffer) == String(value))
        #expect(value.decimalDigits == String(value).count)
    }
}
