import NIOCore

/// A reply from Redis in the RESP2 protocol, fully owned by Swift.
///
/// Values are deep copies of what the parser produced: they hold no pointer into
/// a parser buffer, are `Sendable`, and can outlive the connection that read them.
/// Bulk strings are kept as `ByteBuffer` so binary payloads survive untouched.
public enum RESPValue: Sendable, Hashable {
    /// A status reply such as `+OK` or `+PONG`.
    case simpleString(String)
    /// An error reply such as `-NOSCRIPT No matching script...`; holds the text after `-`.
    case error(String)
    /// An integer reply (`:42`).
    case integer(Int64)
    /// A binary-safe bulk string (`$3\r\nfoo`).
    case bulkString(ByteBuffer)
    /// A nil bulk string (`$-1`) or nil array (`*-1`).
    case null
    /// An array of replies, possibly nested (`XRANGE`, `EVAL` returning tables).
    case array([RESPValue])
}

extension RESPValue {
    /// The text of a simple or bulk string, decoded as UTF-8; `nil` for other kinds.
    ///
    /// Invalid UTF-8 in a bulk string is repaired with replacement characters; use
    /// ``bytes`` when the exact bytes matter.
    public var string: String? {
        switch self {
        case .simpleString(let text):
            return text
        case .bulkString(let buffer):
            return String(buffer: buffer)
        case .error, .integer, .null, .array:
            return nil
        }
    }

    /// The integer of an integer reply, or of a simple or bulk string that holds a
    /// base-10 integer (as `INCR`-style scripts and `XLEN` via Lua may return); otherwise `nil`.
    public var int: Int64? {
        switch self {
        case .integer(let value):
            return value
        case .simpleString(let text):
            return Int64(text)
        case .bulkString(let buffer):
            return Int64(String(buffer: buffer))
        case .error, .null, .array:
            return nil
        }
    }

    /// The elements of an array reply; `nil` for every other kind, including `.null`.
    public var array: [RESPValue]? {
        if case .array(let values) = self {
            return values
        }
        return nil
    }

    /// The bytes of a bulk string, or the UTF-8 bytes of a simple string; otherwise `nil`.
    public var bytes: ByteBuffer? {
        switch self {
        case .bulkString(let buffer):
            return buffer
        case .simpleString(let text):
            return ByteBuffer(string: text)
        case .error, .integer, .null, .array:
            return nil
        }
    }

    /// `true` for `.null`.
    public var isNull: Bool {
        if case .null = self {
            return true
        }
        return false
    }

    /// The error reply as a ``RedisError`` with code ``RedisError/Code/server``; `nil`
    /// when the reply is not an error.
    ///
    /// Lets callers that treat a server error as a failure write
    /// `if let error = reply.serverError { throw error }`.
    public var serverError: RedisError? {
        if case .error(let message) = self {
            return RedisError(.server, message: message)
        }
        return nil
    }
}

extension RESPValue: CustomStringConvertible {
    /// A redis-cli-like rendering, for debugging and tests; bulk strings are shown as UTF-8.
    public var description: String {
        switch self {
        case .simpleString(let text):
            return text
        case .error(let message):
            return "(error) \(message)"
        case .integer(let value):
            return "(integer) \(value)"
        case .bulkString(let buffer):
            return "\"\(String(buffer: buffer))\""
        case .null:
            return "(nil)"
        case .array(let values):
            return "[" + values.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
