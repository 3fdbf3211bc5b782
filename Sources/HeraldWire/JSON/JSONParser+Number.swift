extension JSONParser {
    /// Parses the number at the current offset and returns its exact text.
    ///
    /// Grammar (RFC 8259 §6): `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?`. What follows the number
    /// is left to the caller, so `12x` fails there with "expected ',' …" rather than here.
    mutating func parseNumber() throws(JSONParseError) -> String {
        let start = index
        _ = consume(UInt8(ascii: "-"))
        guard index < bytes.count, isDigit(bytes[index]) else {
            throw numberError(start: start, "expected a digit after '-'")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) {
                throw numberError(start: start, "leading zeros are not allowed")
            }
        } else {
            skipDigits()
        }
        if consume(UInt8(ascii: ".")) {
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw numberError(start: start, "expected a digit after the decimal point")
            }
            skipDigits()
        }
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw numberError(start: start, "expected a digit in the exponent")
            }
            skipDigits()
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func skipDigits() {
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private func numberError(start: Int, _ problem: String) -> JSONParseError {
        let found = index < bytes.count ? describe(bytes[index]) : "the end of the document"
        return JSONParseError(.invalidNumber, at: index, "invalid number starting at byte \(start): \(problem), found \(found)")
    }
}
