/// Why a publish request body was refused, before any message was published.
///
/// `code` is stable (the HTTP layer puts it in the JSON error body); `message` is safe to show to the
/// publisher and says how to fix the body; `itemIndex` is the zero-based index of the failing batch item
/// (`nil` for a single object, a form, or a problem with the body as a whole), `line` the one-based number of
/// the failing line of a newline-delimited body; `field` names the offending
/// field when there is one; `underlying` keeps the ``JSONParseError`` or ``FormDecodeError`` for logs.
public struct PublishBodyError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case malformedJSON = "malformed_json"
            case malformedForm = "malformed_form"
            case invalidBody = "invalid_body"
            case invalidField = "invalid_field"
            case missingField = "missing_field"
            case unknownField = "unknown_field"
            case conflictingFields = "conflicting_fields"
            case emptyBatch = "empty_batch"
            case batchTooLarge = "batch_too_large"
            case lineTooLong = "line_too_long"
            case unterminatedLine = "unterminated_line"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The body is not strict JSON; `underlying` is the ``JSONParseError`` with its byte offset.
        public static let malformedJSON = Code(.malformedJSON)
        /// The body is not valid form encoding; `underlying` is the ``FormDecodeError``.
        public static let malformedForm = Code(.malformedForm)
        /// The body (or a batch item) is valid JSON but not an object or an array of objects.
        public static let invalidBody = Code(.invalidBody)
        /// A field has the wrong JSON type, or a form field is repeated.
        public static let invalidField = Code(.invalidField)
        /// `topic` or `data` is absent.
        public static let missingField = Code(.missingField)
        /// A field other than topic, data, event, type (often a typo).
        public static let unknownField = Code(.unknownField)
        /// Both `event` and its alias `type` are given.
        public static let conflictingFields = Code(.conflictingFields)
        /// The body is an empty JSON array.
        public static let emptyBatch = Code(.emptyBatch)
        /// The batch has more items than the configured maximum.
        public static let batchTooLarge = Code(.batchTooLarge)
        /// A line of a newline-delimited body is longer than the limit.
        public static let lineTooLong = Code(.lineTooLong)
        /// A newline-delimited body ended in the middle of a line (no `\n` after its last bytes).
        public static let unterminatedLine = Code(.unterminatedLine)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// Zero-based index of the failing item in a batch; `nil` when the body was not an array.
    public var itemIndex: Int?
    /// One-based number of the failing line of a newline-delimited body; `nil` for other bodies.
    public var line: Int?
    /// The field at fault, e.g. `"topic"` or the unknown key `"topci"`.
    public var field: String?
    public var underlying: (any Error)?

    /// Creates an error; `problem` is prefixed with "item N: " when `itemIndex` is set.
    public init(_ code: Code, _ problem: String, itemIndex: Int? = nil, field: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = itemIndex.map { "item \($0): \(problem)" } ?? problem
        self.itemIndex = itemIndex
        self.field = field
        self.underlying = underlying
    }

    public var description: String { "\(code): \(message)" }
}
