import NIOCore

/// Decodes `application/x-www-form-urlencoded` bodies and URL query strings into ordered name/value pairs, and
/// percent-encoded path segments.
///
/// Guarantees: pairs come back in input order, repeated names included; pairs are separated by `&`, and
/// empty pairs (`a=1&&b=2`, a trailing `&`) are skipped; a pair without `=` has the empty value; only the
/// first `=` splits, later ones belong to the value; `+` decodes to a space (in query strings too, as
/// browsers send it); `%XX` decodes to the byte XX. Unlike the lenient WHATWG algorithm, a `%` not followed
/// by two hex digits is an error, and so is a name or value that does not decode to valid UTF-8.
public enum FormDecoder {
    /// One decoded `name=value` pair.
    public typealias Field = (name: String, value: String)

    /// Decodes a form body: the readable bytes of `buffer` (its reader index is not moved).
    public static func decode(_ buffer: ByteBuffer) throws(FormDecodeError) -> [Field] {
        try decode(Array(buffer.readableBytesView))
    }

    /// Decodes a query string, the part of a URL after `?` (without the `?` and without any `#fragment`).
    ///
    /// Offsets in errors count from the start of `query`.
    public static func decodeQuery(_ query: Substring) throws(FormDecodeError) -> [Field] {
        try decode(Array(query.utf8))
    }

    /// Percent-decodes one URL path segment (RFC 3986): `%XX` decodes to the byte XX and, unlike in a form or
    /// query, `+` stays a plus. The same errors as a form: a `%` without two hex digits, invalid UTF-8.
    public static func decodePathSegment(_ segment: Substring) throws(FormDecodeError) -> String {
        let bytes = Array(segment.utf8)
        return try decodeComponent(bytes, from: 0, to: bytes.count, plusIsSpace: false)
    }

    /// Decodes form-encoded `bytes`.
    public static func decode(_ bytes: [UInt8]) throws(FormDecodeError) -> [Field] {
        var fields: [Field] = []
        var pairStart = 0
        while pairStart <= bytes.count {
            var pairEnd = pairStart
            while pairEnd < bytes.count, bytes[pairEnd] != UInt8(ascii: "&") { pairEnd += 1 }
            if pairEnd > pairStart {
                var separator = pairStart
                while separator < pairEnd, bytes[separator] != UInt8(ascii: "=") { separator += 1 }
                let name = try decodeComponent(bytes, from: pairStart, to: separator)
                let value = separator < pairEnd ? try decodeComponent(bytes, from: separator + 1, to: pairEnd) : ""
                fields.append((name: name, value: value))
            }
            pairStart = pairEnd + 1
        }
        return fields
    }

    /// Percent- and plus-decodes `bytes[start..<end]` and validates the result as UTF-8.
    private static func decodeComponent(_ bytes: [UInt8], from start: Int, to end: Int, plusIsSpace: Bool = true) throws(FormDecodeError) -> String {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(end - start)
        var index = start
        while index < end {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "+") where plusIsSpace:
                decoded.append(UInt8(ascii: " "))
                index += 1
            case UInt8(ascii: "%"):
                guard index + 2 < end, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
                else {
                    throw FormDecodeError(
                        .invalidPercentEncoding, at: index,
                        "'%' must be followed by two hex digits; write a literal '%' as %25"
                    )
                }
                decoded.append(high << 4 | low)
                index += 3
            default:
                decoded.append(byte)
                index += 1
            }
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            throw FormDecodeError(
                .invalidUTF8, at: start,
                "name or value is not valid UTF-8 once percent-decoded; percent-encode UTF-8 bytes"
            )
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
