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

        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// For `methodNotAllowed`: the methods the path accepts.
    public var allowedMethods: [String] = []

    public init(_ code: Code, _ message: String, allowedMethods: [String] = []) {
        self.code = code
        self.message = message
        self.allowedMethods = allowedMethods
    }

    public var description: String { "\(code): \(message)" }
}
