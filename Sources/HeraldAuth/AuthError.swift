/// Why a request was refused by authentication or authorization, or why an auth setting is unusable.
///
/// Messages say which credential was missing or why it was rejected; they never contain a token or a key.
public struct AuthError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// No credential, or one that was rejected (bad signature, expired, wrong audience…): HTTP 401.
        public static let unauthorized = Code("unauthorized")
        /// A valid credential that does not cover a requested topic: HTTP 403.
        public static let forbiddenTopic = Code("forbidden_topic")
        /// The application's auth hook refused the request as a whole (it answered 403): HTTP 403.
        public static let forbidden = Code("forbidden")
        /// A key or pattern setting that cannot be used; stops startup.
        public static let invalidConfiguration = Code("invalid_auth_configuration")

        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// For `forbiddenTopic`: the refused topic.
    public var topic: String?
    public var underlying: (any Error)?
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, topic: String? = nil, underlying: (any Error)? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.topic = topic
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String { "\(code): \(message)" }
}
