/// Why a publish, a subscription, or a request of the test client failed.
///
/// `code` is stable; `message` says what happened and, where it helps, what to do; a refusal by the server
/// carries its HTTP `status` and its own error code (`serverCode`, such as `invalid_topic`); `underlying`
/// keeps the transport's error for logs.
public struct HeraldClientError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case nonLoopbackHost = "non_loopback_host"
            case connectionFailed = "connection_failed"
            case connectionClosed = "connection_closed"
            case timedOut = "timed_out"
            case rejected
            case unavailable
            case tokenExpired = "token_expired"
            case malformedResponse = "malformed_response"
            case cancelled
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The host is not `localhost` or an IPv4 address in 127.0.0.0/8: the test client talks to loopback only.
        public static let nonLoopbackHost = Code(.nonLoopbackHost)
        /// The TCP connection could not be made (nothing listening, refused); see `underlying`.
        public static let connectionFailed = Code(.connectionFailed)
        /// The server closed the connection (or it failed) before the response was complete.
        public static let connectionClosed = Code(.connectionClosed)
        /// No complete response (for a stream: no response head) arrived within the time limit.
        public static let timedOut = Code(.timedOut)
        /// The server refused the request for good (400, 401, 403, 404…): retrying the same request cannot help.
        public static let rejected = Code(.rejected)
        /// The server could not be reached, or answered 503 or 429, on every attempt.
        public static let unavailable = Code(.unavailable)
        /// The subscription's token expired (`herald.token-expired`): refresh it and subscribe again from the
        /// last event id.
        public static let tokenExpired = Code(.tokenExpired)
        /// The server's answer is not what the Herald API says it is.
        public static let malformedResponse = Code(.malformedResponse)
        /// The task was cancelled.
        public static let cancelled = Code(.cancelled)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// The HTTP status of a refusal.
    public var status: Int?
    /// The server's error code of a refusal (`{"error":{"code":…}}`).
    public var serverCode: String?
    public var underlying: (any Error)?
    public var file: String
    public var line: Int

    public init(
        _ code: Code, _ message: String, status: Int? = nil, serverCode: String? = nil, underlying: (any Error)? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.status = status
        self.serverCode = serverCode
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let status { text += " (status \(status)\(serverCode.map { ", \($0)" } ?? ""))" }
        if let underlying { text += " (underlying: \(underlying))" }
        return text
    }
}
