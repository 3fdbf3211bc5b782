extension JSONParser {
    /// Parses the string starting at the current `"` and returns its decoded text.
    ///
    /// Resolves all RFC 8259 escapes; `\uXXXX` pairs become one scalar, a lone surrogate is an error;
    /// raw bytes below 0x20 are an error; the decoded bytes must be valid UTF-8.
    mutating func parseString() throws(JSONParseError) -> String {
        let start = index
        index += 1
        // Fast path: a string without escapes is its bytes, validated as UTF-8 once, with no copy to a buffer.
        while index < bytes.count, bytes[index] >= 0x20, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
            index += 1
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            index += 1
            guard let text = String(validating: bytes[(start + 1)..<(index - 1)], as: UTF8.self) else {
                throw JSONParseError(
                    .invalidString, at: start,
                    "string starting here is not valid UTF-8; send the body encoded as UTF-8"
                )
            }
            return text
        }
        var decoded = Array(bytes[(start + 1)..<index])
        while true {
            guard index < bytes.count else {
                throw JSONParseError(
                    .unexpectedEnd, at: index,
                    "string starting at byte \(start) is not terminated; add the closing '\"'"
                )
            }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: decoded, as: UTF8.self) else {
                    throw JSONParseError(
                        .invalidString, at: start,
                        "string starting here is not valid UTF-8; send the body encoded as UTF-8"
                    )
                }
                return text
            case UInt8(ascii: "\\"):
                try parseEscape(into: &decoded)
            case 0x00..<0x20:
                throw JSONParseError(
                    .invalidString, at: index,
                    "raw control character U+\(hex(UInt32(byte), width: 4)) inside a string; escape it as "
                        + "\\u\(hex(UInt32(byte), width: 4))"
                )
            default:
                decoded.append(byte)
                index += 1
            }
        }
    }

    private mutating func parseEscape(into decoded: inout [UInt8]) throws(JSONParseError) {
        let escapeStart = index
        index += 1
        guard index < bytes.count else {
            throw JSONParseError(.unexpectedEnd, at: index, "expected an escape character after '\\' but the document ended")
        }
        let simple: UInt8?
        switch bytes[index] {
        case UInt8(ascii: "\""): simple = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): simple = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): simple = UInt8(ascii: "/")
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"): simple = nil
        default:
            throw JSONParseError(
                .invalidString, at: escapeStart,
                "invalid escape '\\\(Character(Unicode.Scalar(bytes[index])))'; "
                    + "valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX"
            )
        }
        if let simple {
            decoded.append(simple)
            index += 1
            return
        }
        index += 1
        let unit = try parseHexQuad(escapeStart: escapeStart)
        let value: UInt32
        switch unit {
        case 0xD800...0xDBFF:
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw loneSurrogate(unit, at: escapeStart)
            }
            let lowStart = index
            index += 2
            let low = try parseHexQuad(escapeStart: lowStart)
            guard (0xDC00...0xDFFF).contains(low) else { throw loneSurrogate(unit, at: escapeStart) }
            value = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
        case 0xDC00...0xDFFF:
            throw loneSurrogate(unit, at: escapeStart)
        default:
            value = unit
        }
        // Surrogates were handled above, so every remaining value is a valid scalar.
        let scalar = Unicode.Scalar(value)!
        UTF8.encode(scalar) { decoded.append($0) }
    }

    private mutating func parseHexQuad(escapeStart: Int) throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count, let digit = hexValue(bytes[index]) else {
                throw JSONParseError(
                    .invalidString, at: escapeStart,
                    "'\\u' must be followed by exactly four hex digits"
                )
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private func loneSurrogate(_ unit: UInt32, at offset: Int) -> JSONParseError {
        let kind = unit < 0xDC00 ? "high" : "low"
        return JSONParseError(
            .invalidString, at: offset,
            "lone \(kind) surrogate \\u\(hex(unit, width: 4)); a surrogate must be a \\uD800–\\uDBFF escape "
                + "immediately followed by a \\uDC00–\\uDFFF escape"
        )
    }

    private func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
