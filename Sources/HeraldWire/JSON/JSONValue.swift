/// A JSON value (RFC 8259) as parsed by ``JSONParser``.
///
/// Guarantees: objects keep their members in document order (duplicate keys never reach a value: the parser
/// rejects them); numbers keep their exact spelling (`1.0`, `1e3` and `-0` stay as written, nothing is
/// converted to a floating-point number); strings hold the decoded text (escapes resolved, always valid
/// Unicode). ``compactText`` re-emits the value without insignificant whitespace.
public indirect enum JSONValue: Sendable, Equatable {
    /// One `"key": value` member of an object, in document order.
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue

        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    case object([Member])
    case array([JSONValue])
    case string(String)
    /// A number, as the exact text that appeared in the document (already checked against the grammar).
    case number(String)
    case bool(Bool)
    case null

    /// The value as compact JSON text: the document's own text with insignificant whitespace removed.
    ///
    /// Key order and number spelling are exactly those of the input. Strings are *minimally re-escaped*
    /// rather than copied with their original escapes: `"` and `\` are escaped, control characters
    /// U+0000–U+001F are written as `\b`, `\f`, `\n`, `\r`, `\t` or `\u00XX`, and every other character is
    /// written as itself in UTF-8 (so `"\u00e9"` and `"\/"` come out as `"é"` and `"/"`). The result is
    /// therefore deterministic for a given value, and parses back to an equal value.
    public var compactText: String {
        var output = ""
        appendCompactText(to: &output)
        return output
    }

    /// The value of the first member named `key` when this is an object, else `nil`.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    /// A short name of the value's kind for error messages: "object", "array", "string", "number",
    /// "boolean" or "null".
    public var kindName: String {
        switch self {
        case .object: "object"
        case .array: "array"
        case .string: "string"
        case .number: "number"
        case .bool: "boolean"
        case .null: "null"
        }
    }

    private func appendCompactText(to output: inout String) {
        switch self {
        case .object(let members):
            output += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { output += "," }
                Self.appendQuoted(member.key, to: &output)
                output += ":"
                member.value.appendCompactText(to: &output)
            }
            output += "}"
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                element.appendCompactText(to: &output)
            }
            output += "]"
        case .string(let text):
            Self.appendQuoted(text, to: &output)
        case .number(let text):
            output += text
        case .bool(let flag):
            output += flag ? "true" : "false"
        case .null:
            output += "null"
        }
    }

    private static func appendQuoted(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
