/// Why a request or an event stream of ``HeraldHTTPClient`` failed.
///
/// `code` is stable; `message` says what happened and, where it helps, what to do; `underlying` keeps the
/// NIO error for logs.
public struct HeraldClientError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case nonLoopbackHost = "non_loopback_host"
            case connectionFailed = "connection_failed"
            case connectionClosed = "connection_closed"
            case timedOut = "timed_out"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The host is not `localhost` or an IPv4 address in 127.0.0.0/8: this client talks to loopback only.
        public static let nonLoopbackHost = Code(.nonLoopbackHost)
        /// The TCP connection could not be made (nothing listening, refused); see `underlying`.
        public static let connectionFailed = Code(.connectionFailed)
        /// The server closed the connection (or it failed) before the response was complete.
        public static let connectionClosed = Code(.connectionClosed)
        /// No complete response (for a stream: no response head) arrived within the time limit.
        public static let timedOut = Code(.timedOut)

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
