/// Why a document is not the strict JSON that ``JSONParser`` accepts.
///
/// `code` is stable (safe to match on and to put in logs); `offset` is the zero-based byte offset in the
/// input where the problem was found; `message` is written for the person who sent the document and names
/// the offset and what was expected there, e.g. "expected ',' or '}' after object member at byte 17".
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case unexpectedEnd = "unexpected_end"
            case unexpectedCharacter = "unexpected_character"
            case invalidNumber = "invalid_number"
            case invalidString = "invalid_string"
            case duplicateKey = "duplicate_key"
            case tooDeep = "too_deep"
            case trailingData = "trailing_data"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The document stopped in the middle of a value.
        public static let unexpectedEnd = Code(.unexpectedEnd)
        /// A byte that cannot start or continue the expected token (including trailing commas).
        public static let unexpectedCharacter = Code(.unexpectedCharacter)
        /// A number that breaks the RFC 8259 grammar (leading zeros, `1.`, `.5`, `+1`, `1e`).
        public static let invalidNumber = Code(.invalidNumber)
        /// A string with a bad escape, a lone surrogate, a raw control character or invalid UTF-8.
        public static let invalidString = Code(.invalidString)
        /// An object names the same key twice.
        public static let duplicateKey = Code(.duplicateKey)
        /// Arrays and objects nest deeper than ``JSONParser/maximumDepth``.
        public static let tooDeep = Code(.tooDeep)
        /// Something other than whitespace follows the top-level value.
        public static let trailingData = Code(.trailingData)

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
