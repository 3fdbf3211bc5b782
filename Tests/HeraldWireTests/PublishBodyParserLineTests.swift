import HeraldWire
import NIOCore
import Testing

@Suite("Parsing one line of a streaming (NDJSON) publish body")
struct PublishBodyParserLineTests {
    func parse(_ line: String, number: Int = 4, topic: String? = "chat/1") throws(PublishBodyError) -> PublishMessage {
        try PublishBodyParser.parseLine(ByteBuffer(string: line), lineNumber: number, defaultTopic: topic)
    }

    @Test("a line without a topic takes the request's; a line's own topic wins")
    func defaultTopic() throws {
        #expect(try parse(#"{"data":"tok"}"#) == PublishMessage(topic: "chat/1", data: "tok"))
        #expect(try parse(#"{"topic":"other","data":{"a":1},"event":"done"}"#) == PublishMessage(topic: "other", event: "done", data: #"{"a":1}"#))
    }

    @Test("errors name the line, say what is wrong, and carry the line number", arguments: [
        (#"{"data":"x"}"#, nil, PublishBodyError.Code.missingField, "\"topic\" is missing"),
        ("nope", "t", .malformedJSON, "not valid JSON"),
        ("42", "t", .invalidBody, "must be a JSON object"),
        (#"{"data":"x","evnt":"y"}"#, "t", .unknownField, "did you mean \"event\""),
        (#"{"data":"x","event":"a","type":"b"}"#, "t", .conflictingFields, "alias"),
    ] as [(String, String?, PublishBodyError.Code, String)])
    func errors(line: String, topic: String?, code: PublishBodyError.Code, hint: String) {
        do {
            _ = try parse(line, number: 7, topic: topic)
            Issue.record("\(line) was accepted")
        } catch {
            #expect(error.code == code)
            #expect(error.line == 7)
            #expect(error.itemIndex == nil)
            #expect(error.message.hasPrefix("line 7: "), "\(error.message)")
            #expect(error.message.contains(hint), "\(error.message)")
        }
    }

    @Test("the line reader's own errors carry the line number too")
    func readerErrors() {
        var reader = NDJSONLineReader(maxLineBytes: 4)
        var lines: [ByteBuffer] = []
        do {
            try reader.read(ByteBuffer(string: "ab\ncd\nefghijk"), into: &lines)
            Issue.record("a 7-byte line passed a 4-byte limit")
        } catch {
            #expect(error.line == 3)
            #expect(lines.map { String(buffer: $0) } == ["ab", "cd"], "the lines before the long one are kept")
        }
    }
}
