/// Errors of the HTTP edge itself (routing, framing, limits), as opposed to `HeraldError` from the core.
public struct EdgeError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        public static let notFound = Code("not_found")
        public static let methodNotAllowed = Code("method_not_allowed")
        public static let payloadTooLarge = Code("payload_too_large")
        public static let unsupportedMediaType = Code("unsupported_media_type")
        public static let missingTopic = Code("missing_topic")
        public static let invalidQuery = Code("invalid_query")
        public static let shuttingDown = Code("shutting_down")
        public static let draining = Code("draining")
        public static let headersTooLarge = Code("headers_too_large")
        public static let uriTooLong = Code("uri_too_long")
        public static let malformedRequest = Code("malformed_request")
        public static let requestTimeout = Code("request_timeout")
        public static let tooManyConnections = Code("too_many_connections")
        public static let tooManyConnectionsFromAddress = Code("too_many_connections_from_address")
        public static let rateLimited = Code("rate_limited")
        public static let eventTooLarge = Code("event_too_large")
        public static let originNotAllowed = Code("origin_not_allowed")
        /// A streaming publish sent more lines than `--max-stream-lines`.
        public static let streamTooLong = Code("stream_too_long")

        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// For `methodNotAllowed`: the methods the path accepts.
    public var allowedMethods: [String] = []
    /// For refusals that pass: when retrying makes sense, in seconds (`Retry-After`).
    public var retryAfter: Int?

    public init(_ code: Code, _ message: String, allowedMethods: [String] = [], retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.allowedMethods = allowedMethods
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code): \(message)" }
}
