import NIOCore
import HeraldClient
import Testing
@testable import HeraldCore

@Suite("SSE encoding")
struct SSEEncoderTests {
    func encode(_ body: (inout ByteBuffer) -> Void) -> String {
        var buffer = ByteBuffer()
        body(&buffer)
        return String(buffer: buffer)
    }

    @Test("an event is written byte for byte")
    func eventBytes() {
        let text = encode { SSEEncoder.appendEvent(type: "order.updated", data: ByteBuffer(string: #"{"n":1}"#), id: "abc", to: &$0) }
        #expect(text == "event: order.updated\ndata: {\"n\":1}\nid: abc\n\n")
    }

    @Test("an event without a type has no event line")
    func plainMessage() {
        #expect(encode { SSEEncoder.appendEvent(type: nil, data: ByteBuffer(string: "hi"), id: "1", to: &$0) } == "data: hi\nid: 1\n\n")
    }

    @Test("multi-line data becomes several data lines for LF, CR and CRLF")
    func multiLineData() {
        let text = encode { SSEEncoder.appendFields(type: nil, data: ByteBuffer(string: "a\nb\rc\r\nd\n"), to: &$0) }
        #expect(text == "data: a\ndata: b\ndata: c\ndata: d\ndata: \n")
    }

    @Test("data that looks like fields cannot inject them")
    func noInjection() {
        let text = encode { SSEEncoder.appendEvent(type: nil, data: ByteBuffer(string: "x\nid: evil\n\nevent: boom"), id: "1", to: &$0) }
        #expect(text == "data: x\ndata: id: evil\ndata: \ndata: event: boom\nid: 1\n\n")
    }

    @Test("comments, retry and id-only blocks")
    func controlBlocks() {
        #expect(encode { SSEEncoder.appendComment("ping", to: &$0) } == ": ping\n\n")
        #expect(encode { SSEEncoder.appendRetry(milliseconds: 2500, to: &$0) } == "retry: 2500\n\n")
        #expect(encode { SSEEncoder.appendIDAndEnd("c1", to: &$0) } == "id: c1\n\n")
    }

    @Test("a wire chunk is framed once and its payload is the bare bytes")
    func wireChunk() {
        let chunk = WireChunk { $0.writeString("data: hello\n\n") }
        #expect(String(buffer: chunk.chunked) == "d\r\ndata: hello\n\n\r\n")
        #expect(String(buffer: chunk.payload) == "data: hello\n\n")
    }

    @Test("JSON strings are escaped")
    func jsonText() {
        #expect(JSONText.quoted("a\"b\\c\n\u{1}é") == #""a\"b\\c\n\u0001é""#)
    }
}

@Suite("SSE round trip through a WHATWG decoder")
struct SSERoundTripTests {
    @Test("encoded events decode to the same type, data and id", arguments: [
        ("order.updated", "{\"n\":1}"), ("message", "plain"), ("x", "multi\nline\r\ndata\rhere"), ("x", "trailing newline\n"),
        ("x", "ü日本 ✓"), ("x", ": looks like a comment"), ("x", "data: nested field"), ("x", "\n\nleading blank lines"),
    ])
    func roundTrip(type: String, data: String) {
        var buffer = ByteBuffer()
        SSEEncoder.appendEvent(type: type == "message" ? nil : type, data: ByteBuffer(string: data), id: "cursor-1", to: &buffer)
        var parser = SSEParser()
        let items = parser.feed(Array(buffer.readableBytesView))
        let expected = data.replacingLineBreaks()
        #expect(items == [.event(SSEEvent(type: type, data: expected, id: "cursor-1"))])
    }

    @Test("comments, retry and id-only blocks decode as such")
    func controlBlocks() {
        var buffer = ByteBuffer()
        SSEEncoder.appendRetry(milliseconds: 1500, to: &buffer)
        SSEEncoder.appendComment("ping", to: &buffer)
        SSEEncoder.appendIDAndEnd("c0", to: &buffer)
        var parser = SSEParser()
        #expect(parser.feed(Array(buffer.readableBytesView)) == [.retry(1500), .comment("ping")])
        #expect(parser.lastEventID == "c0")
    }
}

extension String {
    /// CRLF and CR become LF, as an SSE decoder reports multi-line data.
    func replacingLineBreaks() -> String {
        var output = ""
        var previousCR = false
        for scalar in unicodeScalars {
            if scalar == "\n" && previousCR { previousCR = false; continue }
            previousCR = scalar == "\r"
            output.unicodeScalars.append(scalar == "\r" ? "\n" : scalar)
        }
        return output
    }
}
