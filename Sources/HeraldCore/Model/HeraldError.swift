/// An error of Herald's core: bad input, or a backend that cannot serve the request.
///
/// `code` is stable (it appears in HTTP error bodies and logs); `message` is safe to show to a client and says
/// how to fix the problem; `underlying` keeps the original error for logs.
public struct HeraldError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case invalidTopic = "invalid_topic"
            case invalidEventType = "invalid_event"
            case invalidData = "invalid_data"
            case malformedCursor = "malformed_cursor"
            case tooManyTopics = "too_many_topics"
            case invalidIdempotencyKey = "invalid_idempotency_key"
            case backendUnavailable = "backend_unavailable"
            case backendFailure = "backend_failure"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let invalidTopic = Code(.invalidTopic)
        public static let invalidEventType = Code(.invalidEventType)
        public static let invalidData = Code(.invalidData)
        public static let malformedCursor = Code(.malformedCursor)
        public static let tooManyTopics = Code(.tooManyTopics)
        public static let invalidIdempotencyKey = Code(.invalidIdempotencyKey)
        /// The backend cannot be reached now; retrying later may succeed.
        public static let backendUnavailable = Code(.backendUnavailable)
        /// The backend answered with something Herald did not expect.
        public static let backendFailure = Code(.backendFailure)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let underlying { text += " (underlying: \(underlying))" }
        return text
    }
}
