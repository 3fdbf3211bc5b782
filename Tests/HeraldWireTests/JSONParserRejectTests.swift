import Testing
import HeraldWire

@Suite("JSON parser rejects what RFC 8259 does not allow, with an offset and a reason")
struct JSONParserRejectTests {
    private func rejection(_ text: String) -> JSONParseError? {
        rejection(Array(text.utf8))
    }

    private func rejection(_ bytes: [UInt8]) -> JSONParseError? {
        do {
            _ = try JSONParser.parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test("malformed documents fail with the expected code and byte offset", arguments: [
        ("", JSONParseError.Code.unexpectedEnd, 0),
        ("   ", .unexpectedEnd, 3),
        ("[1,]", .unexpectedCharacter, 3),
        (#"{"a":1,}"#, .unexpectedCharacter, 7),
        (#"{"a" 1}"#, .unexpectedCharacter, 5),
        (#"{"a":1 "b":2}"#, .unexpectedCharacter, 7),
        ("[1 2]", .unexpectedCharacter, 3),
        ("{a:1}", .unexpectedCharacter, 1),
        ("[1", .unexpectedEnd, 2),
        ("tru", .unexpectedEnd, 0),
        ("nul1", .unexpectedCharacter, 0),
        ("'a'", .unexpectedCharacter, 0),
        ("NaN", .unexpectedCharacter, 0),
        ("01", .invalidNumber, 1),
        ("-", .invalidNumber, 1),
        ("1.", .invalidNumber, 2),
        (".5", .unexpectedCharacter, 0),
        ("+1", .unexpectedCharacter, 0),
        ("1e", .invalidNumber, 2),
        ("1e+", .invalidNumber, 3),
        ("-01", .invalidNumber, 2),
        ("1 2", .trailingData, 2),
        ("{} x", .trailingData, 3),
        (#""abc"#, .unexpectedEnd, 4),
        (#""\x""#, .invalidString, 1),
        (#""\u12""#, .invalidString, 1),
        (#""\ud83d""#, .invalidString, 1),
        (#""\ud83dx""#, .invalidString, 1),
        (#""\ud83d\u0041""#, .invalidString, 1),
        (#""\ude00""#, .invalidString, 1),
        (#"{"a":1,"a":2}"#, .duplicateKey, 7),
        (#"{"a":1,"\u0061":2}"#, .duplicateKey, 7),
    ])
    func rejects(text: String, code: JSONParseError.Code, offset: Int) {
        let error = rejection(text)
        #expect(error?.code == code, "\(text.debugDescription): \(String(describing: error))")
        #expect(error?.offset == offset, "\(text.debugDescription): \(String(describing: error))")
    }

    @Test("raw control characters inside strings are rejected", arguments: [0x00, 0x09, 0x0A, 0x0D, 0x1F] as [UInt8])
    func controlCharacters(byte: UInt8) {
        let error = rejection([UInt8(ascii: "\""), UInt8(ascii: "a"), byte, UInt8(ascii: "\"")])
        #expect(error?.code == .invalidString)
        #expect(error?.offset == 2)
    }

    @Test("invalid UTF-8 inside a string is rejected", arguments: [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] as [[UInt8]])
    func invalidUTF8(bytes: [UInt8]) {
        let error = rejection([UInt8(ascii: "\"")] + bytes + [UInt8(ascii: "\"")])
        #expect(error?.code == .invalidString)
    }

    @Test("a duplicate key is found in objects with many keys too", arguments: [3, 15, 16, 19])
    func duplicateAmongMany(repeated: Int) {
        let members = (0..<20).map { "\"k\($0)\":\($0)" } + ["\"k\(repeated)\":0"]
        let error = rejection("{" + members.joined(separator: ",") + "}")
        #expect(error?.code == .duplicateKey)
        #expect(error?.message.hasPrefix("duplicate key \"k\(repeated)\"") == true)
    }

    @Test("invalid UTF-8 after an escape is rejected")
    func invalidUTF8AfterEscape() {
        let error = rejection(Array(#""\n"#.utf8) + [0xFF, UInt8(ascii: "\"")])
        #expect(error?.code == .invalidString)
        #expect(error?.offset == 0)
    }

    @Test("nesting 65 levels deep is rejected as too deep", arguments: ["[", "{\"k\":"])
    func tooDeep(opener: String) {
        let error = rejection(String(repeating: opener, count: 65) + "1")
        #expect(error?.code == .tooDeep)
    }

    @Test("the message says what was expected and where, so a person can fix the body")
    func helpfulMessage() {
        #expect(rejection(#"{"topic":"a" "data":1}"#)?.message == "expected ',' or '}' after object member but found '\"' at byte 13")
        #expect(rejection("[1,]")?.message == "trailing comma before ']' at byte 3; remove the last ','")
        #expect(rejection(#"{"a":1,"a":2}"#)?.message == "duplicate key \"a\" in object at byte 7; each key may appear only once")
        #expect(rejection("007")?.message.contains("leading zeros") == true)
        #expect(rejection(#""\ud83d""#)?.message.contains("lone high surrogate \\uD83D") == true)
    }
}
