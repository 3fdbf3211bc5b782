import Testing
import HeraldWire

@Suite("JSON parser accepts RFC 8259 documents")
struct JSONParserAcceptTests {
    private func parse(_ text: String) throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    @Test("every scalar kind parses to the expected value", arguments: [
        ("true", JSONValue.bool(true)), ("false", .bool(false)), ("null", .null),
        ("0", .number("0")), ("-0", .number("-0")), ("12.50", .number("12.50")), ("1E+3", .number("1E+3")),
        ("-0.1e-7", .number("-0.1e-7")), ("\"\"", .string("")), ("\"plain\"", .string("plain")),
    ])
    func scalars(text: String, expected: JSONValue) throws {
        #expect(try parse(text) == expected)
    }

    @Test("all simple escapes are decoded")
    func simpleEscapes() throws {
        #expect(try parse(#""\" \\ \/ \b \f \n \r \t""#) == .string("\" \\ / \u{08} \u{0C} \n \r \t"))
    }

    @Test("unicode escapes decode, including a surrogate pair into one scalar", arguments: [
        (#""\u0041\u00e9\u20AC""#, "Aé€"), (#""\ud83d\ude00""#, "😀"), (#""\uD834\uDD1E!""#, "𝄞!"), (#""\u0000""#, "\u{0}"),
    ])
    func unicodeEscapes(text: String, expected: String) throws {
        #expect(try parse(text) == .string(expected))
    }

    @Test("raw UTF-8 text in strings is kept")
    func rawUTF8() throws {
        #expect(try parse("\"ü/日本 😀\"") == .string("ü/日本 😀"))
    }

    @Test("whitespace around tokens is insignificant")
    func whitespace() throws {
        let value = try parse(" \t\r\n{ \"a\" :\n[ 1 ,\t2 ] , \"b\" : { } }\n ")
        #expect(value == .object([.init(key: "a", value: .array([.number("1"), .number("2")])), .init(key: "b", value: .object([]))]))
    }

    @Test("objects keep their key order")
    func keyOrder() throws {
        guard case .object(let members) = try parse(#"{"z":1,"a":2,"m":3}"#) else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["z", "a", "m"])
    }

    @Test("keys that differ only by escapes are still compared decoded, so these are distinct")
    func distinctKeys() throws {
        #expect(throws: Never.self) { try parse(#"{"a":1,"A":2,"a ":3}"#) }
    }

    @Test("nesting exactly 64 levels deep is accepted")
    func maximumDepth() throws {
        let text = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try parse(text) }
    }

    @Test("a ByteBuffer is parsed from its readable bytes without moving the reader index")
    func byteBuffer() throws {
        var buffer = ByteBufferFixture.make("xx[1]")
        buffer.moveReaderIndex(forwardBy: 2)
        #expect(try JSONParser.parse(buffer) == .array([.number("1")]))
        #expect(buffer.readableBytes == 3)
    }

    @Test("subscript finds a member by key")
    func subscriptByKey() throws {
        let value = try parse(#"{"topic":"t","data":[true]}"#)
        #expect(value["data"] == .array([.bool(true)]))
        #expect(value["missing"] == nil)
    }
}
