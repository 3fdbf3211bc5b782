import Testing
import HeraldClient

@Suite("SSE parser follows the WHATWG event-stream interpretation")
struct SSEParserTests {
    private func items(_ chunks: [String]) -> [SSEParser.Item] {
        var parser = SSEParser()
        return chunks.flatMap { parser.feed(Array($0.utf8)) }
    }

    private func event(_ data: String, type: String = "message", id: String? = nil) -> SSEParser.Item {
        .event(SSEEvent(type: type, data: data, id: id))
    }

    @Test("spec example: data lines are joined with newlines")
    func specStockTicker() {
        #expect(items(["data: YHOO\ndata: +2\ndata: 10\n\n"]) == [event("YHOO\n+2\n10")])
    }

    @Test("spec example: comment, ids that persist or reset, unterminated last event")
    func specIDs() {
        let stream = ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n"
        #expect(items([stream]) == [.comment("test stream"), event("first event", id: "1"), event("second event")])
    }

    @Test("spec example: a bare data field gives empty data; a final unterminated block is dropped")
    func specEmptyData() {
        #expect(items(["data\n\ndata\ndata\n\ndata:"]) == [event(""), event("\n")])
    }

    @Test("spec example: one space after the colon is removed, no space is fine too")
    func specSpace() {
        #expect(items(["data:test\n\ndata: test\n\ndata:  two\n\n"]) == [event("test"), event("test"), event(" two")])
    }

    @Test("CR, LF and CRLF all end lines, including a CRLF split across chunks", arguments: [
        ["data: a\r\n\r\n"], ["data: a\r", "\n\r\n"], ["data: a\r", "\n", "\r", "\n"], ["data: a\r\r"], ["data: a\n\r"],
        ["data: a\r\ndata: b\r\n\r\n"], ["da", "ta: a", "\n", "\n"],
    ])
    func lineEndings(chunks: [String]) {
        let expected = chunks.joined().contains("b") ? event("a\nb") : event("a")
        #expect(items(chunks) == [expected])
    }

    @Test("every way of splitting a stream into two chunks gives the same items")
    func anySplit() {
        let stream = "\u{FEFF}: hi\r\nretry: 10\r\nevent: e\r\ndata: é1\rdata:2\nid: 9\r\n\r\ndata: x\n\n"
        let bytes = Array(stream.utf8)
        let expected: [SSEParser.Item] = [.comment("hi"), .retry(10), event("é1\n2", type: "e", id: "9"), event("x", id: "9")]
        for split in 0...bytes.count {
            var parser = SSEParser()
            let got = parser.feed(bytes[..<split]) + parser.feed(bytes[split...])
            #expect(got == expected, "split at \(split)")
        }
    }

    @Test("one leading BOM is stripped, even split across chunks; a second one is not")
    func byteOrderMark() {
        var parser = SSEParser()
        #expect(parser.feed([0xEF]) == [])
        #expect(parser.feed([0xBB, 0xBF] + Array("data: x\n\n".utf8)) == [event("x")])
        #expect(items(["\u{FEFF}\u{FEFF}data: x\n\n"]) == [])
    }

    @Test("an id with NUL is ignored and the previous id persists")
    func nulInID() {
        #expect(items(["id: 1\ndata: a\n\nid: 2\u{0}x\ndata: b\n\n"]) == [event("a", id: "1"), event("b", id: "1")])
    }

    @Test("retry is reported only when it is all ASCII digits", arguments: [
        ("retry: 1500\n", [SSEParser.Item.retry(1500)]), ("retry:0\n", [.retry(0)]), ("retry: 15a\n", []), ("retry: -1\n", []),
        ("retry:\n", []), ("retry: 1.5\n", []), ("retry:  15\n", []), ("retry: ١٢\n", []),
    ])
    func retry(line: String, expected: [SSEParser.Item]) {
        #expect(items([line]) == expected)
    }

    @Test("an event with empty data is not dispatched but still updates the last event id")
    func emptyDataUpdatesID() {
        var parser = SSEParser()
        #expect(parser.feed(Array("id: 7\n\nevent: ignored\n\n".utf8)) == [])
        #expect(parser.lastEventID == "7")
        #expect(parser.feed(Array("data: x\n\n".utf8)) == [event("x", id: "7")])
    }

    @Test("an unterminated final event is never dispatched")
    func unterminated() {
        var parser = SSEParser()
        #expect(parser.feed(Array("id: 3\ndata: x\n".utf8)) == [])
        #expect(parser.lastEventID == nil)
    }

    @Test("the event type resets after each dispatch and unknown fields are ignored")
    func typeResets() {
        #expect(items(["event: a\nfoo: bar\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n"]) == [event("1", type: "a"), event("2"), event("3")])
    }

    @Test("a parser started from a Last-Event-ID stamps it on events until a new id arrives")
    func startsFromLastEventID() {
        var parser = SSEParser(lastEventID: "41")
        #expect(parser.feed(Array("data: a\n\nid: 42\ndata: b\n\n".utf8)) == [event("a", id: "41"), event("b", id: "42")])
    }

    @Test("invalid UTF-8 decodes to replacement characters")
    func invalidUTF8() {
        var parser = SSEParser()
        #expect(parser.feed(Array("data: a".utf8) + [0xFF] + Array("b\n\n".utf8)) == [event("a\u{FFFD}b")])
    }
}
