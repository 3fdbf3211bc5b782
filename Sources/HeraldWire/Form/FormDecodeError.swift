/// Why a form body or query string could not be decoded by ``FormDecoder``.
///
/// `code` is stable; `offset` is the zero-based byte offset of the problem in the input (for
/// ``Code/invalidUTF8``, the start of the name or value that does not decode); `message` says what to fix.
public struct FormDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case invalidPercentEncoding = "invalid_percent_encoding"
            case invalidUTF8 = "invalid_utf8"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A `%` not followed by two hex digits.
        public static let invalidPercentEncoding = Code(.invalidPercentEncoding)
        /// A name or value whose bytes, once percent-decoded, are not valid UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// Zero-based byte offset in the input where the problem was found.
    public var offset: Int
    public var message: String

    /// Creates an error whose message is `problem` with its location (see `LocatedMessage`).
    public init(_ code: Code, at offset: Int, _ problem: String) {
        self.code = code
        self.offset = offset
        self.message = LocatedMessage.text(problem, at: offset)
    }

    public var description: String { "\(code): \(message)" }
}
