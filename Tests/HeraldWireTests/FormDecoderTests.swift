import Testing
import HeraldWire

@Suite("Form and query string decoding")
struct FormDecoderTests {
    private func decode(_ text: String) throws -> [String] {
        try FormDecoder.decode(Array(text.utf8)).map { "\($0.name)=\($0.value)" }
    }

    @Test("pairs are decoded in order with plus as space and percent escapes", arguments: [
        ("", [String]()),
        ("a=1&b=2&a=3", ["a=1", "b=2", "a=3"]),
        ("topic=orders%2F42&data=hello+world%21", ["topic=orders/42", "data=hello world!"]),
        ("a=1&&b=2&", ["a=1", "b=2"]),
        ("flag&x=", ["flag=", "x="]),
        ("eq=a=b", ["eq=a=b"]),
        ("=v", ["=v"]),
        ("d=%C3%BC%E6%97%A5+%2B", ["d=ü日 +"]),
        ("raw=ü", ["raw=ü"]),
        ("nl=a%0D%0Ab", ["nl=a\r\nb"]),
        ("pct=%25", ["pct=%"]),
    ])
    func decodes(input: String, expected: [String]) throws {
        #expect(try decode(input) == expected)
    }

    @Test("a query string decodes the same way, plus included, as browsers send it")
    func queryString() throws {
        let fields = try FormDecoder.decodeQuery("topic=a+b&topic=c%20d&lastEventId=7"[...])
        #expect(fields.map(\.name) == ["topic", "topic", "lastEventId"])
        #expect(fields.map(\.value) == ["a b", "c d", "7"])
    }

    @Test("bad percent escapes are rejected with their offset", arguments: [
        ("a=%zz", 2), ("a=%4", 2), ("a=%", 2), ("ok=1&b%g1=2", 6), ("a=%4&b=1", 2),
    ])
    func rejectsPercent(input: String, offset: Int) {
        #expect {
            _ = try FormDecoder.decode(Array(input.utf8))
        } throws: { error in
            let error = error as? FormDecodeError
            return error?.code == .invalidPercentEncoding && error?.offset == offset
        }
    }

    @Test("percent escapes that do not decode to UTF-8 are rejected", arguments: ["a=%FF", "a=%C3", "%ED%A0%80=1", "x=%C0%AF"])
    func rejectsInvalidUTF8(input: String) {
        #expect {
            _ = try FormDecoder.decode(Array(input.utf8))
        } throws: { error in
            (error as? FormDecodeError)?.code == .invalidUTF8
        }
    }

    @Test("the error message tells how to write a literal percent sign")
    func helpfulMessage() {
        do {
            _ = try FormDecoder.decode(Array("data=100%".utf8))
            Issue.record("accepted a bare %")
        } catch {
            #expect(error.message == "'%' must be followed by two hex digits at byte 8; write a literal '%' as %25")
        }
    }
}
