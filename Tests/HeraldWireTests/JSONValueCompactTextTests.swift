import Testing
import HeraldWire

@Suite("Compact JSON text keeps key order and number spelling")
struct JSONValueCompactTextTests {
    private func compact(_ text: String) throws -> String {
        try JSONParser.parse(Array(text.utf8)).compactText
    }

    @Test("insignificant whitespace is removed and nothing else changes", arguments: [
        (" { \"z\" : 1 , \"a\" : [ 1.50 , -0 , 1E+3 , 2e-7 ] , \"m\" : { } } ", #"{"z":1,"a":[1.50,-0,1E+3,2e-7],"m":{}}"#),
        ("[ true , false , null , [ ] , \"a b\" ]", #"[true,false,null,[],"a b"]"#),
        ("\n\t12345678901234567890123456789\r\n", "12345678901234567890123456789"),
        (#"{"nested":{"deeper":{"x":[{"k":"v"}]}}}"#, #"{"nested":{"deeper":{"x":[{"k":"v"}]}}}"#),
    ])
    func removesWhitespace(input: String, expected: String) throws {
        #expect(try compact(input) == expected)
    }

    @Test("strings are minimally re-escaped: quote, backslash and control characters only", arguments: [
        (#""\u00e9\/\u20ac""#, "\"é/€\""),
        (#""say \"hi\" \\ now""#, #""say \"hi\" \\ now""#),
        (#""\n\r\t\b\f\u0001\u001f""#, #""\n\r\t\b\f\u0001\u001f""#),
        (#""\ud83d\ude00 \u2028""#, "\"😀 \u{2028}\""),
        (#"{"k\"ey":"v"}"#, #"{"k\"ey":"v"}"#),
    ])
    func reEscapesStrings(input: String, expected: String) throws {
        #expect(try compact(input) == expected)
    }

    @Test("compact text parses back to an equal value")
    func roundTrips() throws {
        let input = #"{ "a" : [ "x\u0000y" , { "b" : -1.0e+10 } ] , "c" : "\ud834\udd1e" }"#
        let value = try JSONParser.parse(Array(input.utf8))
        #expect(try JSONParser.parse(Array(value.compactText.utf8)) == value)
    }
}
