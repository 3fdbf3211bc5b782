/// An error raised by the Redis client.
///
/// Match on ``code``, which is stable across releases; ``message`` is safe to log
/// (it never contains a password or a payload) and says what went wrong.
/// A Redis error *reply* is not thrown by `send`: it comes back as
/// ``RESPValue/error(_:)``, and ``RESPValue/serverError`` turns it into this type
/// with ``Code/server`` when the caller wants to throw it.
public struct RedisError: Error, CustomStringConvertible {
    /// A stable identifier of the kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case connectionUnavailable
            case connectionClosed
            case protocolError
            case server
            case timeout
            case invalidConfiguration
            case authentication
        }

        fileprivate let base: Base

        fileprivate init(_ base: Base) {
            self.base = base
        }

        /// No connection is established (not started, or reconnecting). Map to HTTP 503.
        public static let connectionUnavailable = Code(.connectionUnavailable)
        /// The connection closed while the command was pending; it may or may not have run.
        public static let connectionClosed = Code(.connectionClosed)
        /// Redis sent bytes that are not valid RESP2, or a reply nobody asked for.
        public static let protocolError = Code(.protocolError)
        /// Redis answered with an error reply; ``RedisError/message`` holds its text.
        public static let server = Code(.server)
        /// Redis did not answer in time; the connection was closed.
        public static let timeout = Code(.timeout)
        /// The configuration or URL is invalid; ``RedisError/message`` says what to fix.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The server refused the credentials (`AUTH`), or wants some (`NOAUTH`); the connection was closed.
        public static let authentication = Code(.authentication)

        public var description: String {
            self.base.rawValue
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable explanation, safe to log.
    public var message: String
    /// The error that caused this one, if any (a `ChannelError`, an `IOError`...).
    public var underlying: (any Error)?
    /// The source file that raised the error.
    public var file: String
    /// The source line that raised the error.
    public var line: Int

    /// Creates an error; `file` and `line` default to the call site.
    public init(
        _ code: Code,
        message: String,
        underlying: (any Error)? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    /// The leading upper-case word of a ``Code/server`` error, such as `NOSCRIPT`,
    /// `WRONGTYPE`, `MOVED` or `ERR`; `nil` for other codes or when Redis sent none.
    public var serverErrorPrefix: String? {
        guard self.code == .server else {
            return nil
        }
        return RedisError.prefix(ofServerMessage: self.message)
    }

    public var description: String {
        var text = "RedisError(\(self.code)): \(self.message)"
        if let underlying = self.underlying {
            text += " (underlying: \(underlying))"
        }
        return text + " [\(self.file):\(self.line)]"
    }

    /// The leading upper-case word of a Redis error message, e.g. `NOSCRIPT`.
    static func prefix(ofServerMessage message: String) -> String? {
        let word = message.prefix { $0 != " " }
        guard !word.isEmpty, word.allSatisfy({ $0.isUppercase || $0 == "_" || $0.isNumber }) else {
            return nil
        }
        return String(word)
    }
}

extension RESPValue {
    /// The leading upper-case word of an error reply, e.g. `NOSCRIPT`; `nil` for other replies.
    public var errorPrefix: String? {
        if case .error(let message) = self {
            return RedisError.prefix(ofServerMessage: message)
        }
        return nil
    }
}
