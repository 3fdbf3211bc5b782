import NIOCore

/// A strict RFC 8259 JSON parser working on bytes.
///
/// Guarantees: accepts exactly one JSON value surrounded by optional whitespace (space, tab, CR, LF) and
/// nothing else: no trailing commas, comments, `NaN`, single quotes, leading zeros, raw control characters
/// in strings, lone surrogates (escaped or not) or invalid UTF-8. Objects with a duplicate key are rejected,
/// as is nesting deeper than ``maximumDepth`` arrays and objects. Every error carries the byte offset of the
/// problem and a message saying what was expected there.
public struct JSONParser {
    /// The deepest nesting of arrays and objects accepted: `[[…]]` 64 levels deep parses, 65 does not.
    // why: bounds recursion (and so stack use) for bodies sent by untrusted publishers.
    public static let maximumDepth = 64

    /// Parses `bytes` as one JSON document.
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        return try parser.parseDocument()
    }

    /// Parses the readable bytes of `buffer` as one JSON document; the buffer's reader index is not moved.
    public static func parse(_ buffer: ByteBuffer) throws(JSONParseError) -> JSONValue {
        try parse(Array(buffer.readableBytesView))
    }

    let bytes: [UInt8]
    var index = 0
    private var depth = 0

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        if index == bytes.count {
            throw JSONParseError(.unexpectedEnd, at: index, "expected a JSON value but the document is empty")
        }
        let value = try parseValue()
        skipWhitespace()
        if index < bytes.count {
            throw JSONParseError(
                .trailingData, at: index,
                "unexpected \(describe(bytes[index])) after the end of the JSON value; send exactly one value"
            )
        }
        return value
    }

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else {
            throw failure(expecting: "a JSON value (object, array, string, number, true, false or null)")
        }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        default: throw failure(expecting: "a JSON value (object, array, string, number, true, false or null)")
        }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        index += 1
        var members: [JSONValue.Member] = []
        var keys: Set<String> = []
        skipWhitespace()
        if consume(UInt8(ascii: "}")) {
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                if index < bytes.count, bytes[index] == UInt8(ascii: "}"), !members.isEmpty {
                    throw JSONParseError(.unexpectedCharacter, at: index, "trailing comma before '}'; remove the last ','")
                }
                throw failure(expecting: "'\"' to start an object key")
            }
            let keyOffset = index
            let key = try parseString()
            // why: publish objects have a handful of keys; a linear check is cheaper than hashing until many.
            let duplicate: Bool
            if members.count < 16 {
                duplicate = members.contains { $0.key == key }
            } else {
                if keys.isEmpty { keys = Set(members.lazy.map(\.key)) }
                duplicate = !keys.insert(key).inserted
            }
            guard !duplicate else {
                throw JSONParseError(
                    .duplicateKey, at: keyOffset,
                    "duplicate key \(JSONValue.string(key).compactText) in object; each key may appear only once"
                )
            }
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw failure(expecting: "':' after object key") }
            members.append(JSONValue.Member(key: key, value: try parseValue()))
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "}")) { break }
            throw failure(expecting: "',' or '}' after object member")
        }
        depth -= 1
        return .object(members)
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) {
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]"), !elements.isEmpty {
                throw JSONParseError(.unexpectedCharacter, at: index, "trailing comma before ']'; remove the last ','")
            }
            elements.append(try parseValue())
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "]")) { break }
            throw failure(expecting: "',' or ']' after array element")
        }
        depth -= 1
        return .array(elements)
    }

    private mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw JSONParseError(
                .tooDeep, at: index,
                "arrays and objects nest deeper than \(Self.maximumDepth) levels; flatten the document"
            )
        }
    }

    private mutating func parseLiteral(_ literal: StaticString) throws(JSONParseError) {
        let start = index
        let expected = literal.withUTF8Buffer { Array($0) }
        for byte in expected {
            guard index < bytes.count, bytes[index] == byte else {
                let ranOut = index == bytes.count
                index = start
                if ranOut {
                    throw JSONParseError(.unexpectedEnd, at: start, "expected '\(literal)' but the document ended")
                }
                throw failure(expecting: "'\(literal)'")
            }
            index += 1
        }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }

    /// An error saying what was expected at the current offset and what was found instead.
    func failure(expecting expectation: String) -> JSONParseError {
        guard index < bytes.count else {
            return JSONParseError(.unexpectedEnd, at: index, "expected \(expectation) but the document ended")
        }
        return JSONParseError(.unexpectedCharacter, at: index, "expected \(expectation) but found \(describe(bytes[index]))")
    }

    /// `'x'` for printable ASCII, `byte 0xNN` otherwise.
    func describe(_ byte: UInt8) -> String {
        if byte >= 0x21, byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }
}
