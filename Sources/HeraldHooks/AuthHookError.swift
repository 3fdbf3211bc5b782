/// Why an auth hook gave no usable answer. A refusal by the hook (401, 403) is an answer, not this error.
///
/// Messages name the hook's URL and what went wrong; they never contain a forwarded credential.
public struct AuthHookError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// No answer in time, no connection, or an answer that is not one (a redirect, another status, a body
        /// that is not the JSON described in docs/security.md, or one past the size limit): HTTP 503.
        public static let unavailable = Code("auth_unavailable")

        public var description: String { name }
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "\(code): \(message)" }
}
