import NIOCore

/// One argument of a ``RedisCommand``; every case is sent as a binary-safe bulk string.
public enum RedisArgument: Sendable, Hashable {
    /// Text, sent as its UTF-8 bytes.
    case string(String)
    /// Raw bytes, sent unchanged (payloads, binary keys).
    case bytes(ByteBuffer)
    /// An integer, sent in base 10 (`COUNT 10`, `MAXLEN 1000`).
    case integer(Int)
}

extension RedisArgument: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension RedisArgument: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) {
        self = .integer(value)
    }
}

/// A Redis command: a name and its arguments.
///
/// A command is encoded in pure Swift as a RESP2 array of bulk strings, directly
/// into the outgoing `ByteBuffer`; arguments are length-prefixed, so any byte,
/// including `\r\n`, is transmitted exactly.
public struct RedisCommand: Sendable, Hashable {
    /// The command name, such as `"SET"` or `"EVALSHA"`.
    public var name: String
    /// The arguments, in order.
    public var arguments: [RedisArgument]

    /// Creates a command from a name and typed arguments.
    public init(_ name: String, _ arguments: [RedisArgument]) {
        self.name = name
        self.arguments = arguments
    }

    /// Creates a command whose arguments are all strings: `RedisCommand("GET", "key")`.
    public init(_ name: String, _ arguments: String...) {
        self.init(name, arguments.map(RedisArgument.string))
    }

    /// Appends the RESP2 encoding of this command to `buffer`:
    /// `*<n>\r\n` then `$<len>\r\n<bytes>\r\n` for the name and each argument.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeStaticString("*")
        Self.writeDecimal(self.arguments.count + 1, into: &buffer)
        buffer.writeStaticString("\r\n")
        Self.writeBulk(string: self.name, into: &buffer)
        for argument in self.arguments {
            switch argument {
            case .string(let text):
                Self.writeBulk(string: text, into: &buffer)
            case .bytes(let bytes):
                buffer.writeStaticString("$")
                Self.writeDecimal(bytes.readableBytes, into: &buffer)
                buffer.writeStaticString("\r\n")
                buffer.writeImmutableBuffer(bytes)
                buffer.writeStaticString("\r\n")
            case .integer(let value):
                Self.writeBulk(string: String(value), into: &buffer)
            }
        }
    }

    private static func writeBulk(string: String, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("$")
        Self.writeDecimal(string.utf8.count, into: &buffer)
        buffer.writeStaticString("\r\n")
        buffer.writeString(string)
        buffer.writeStaticString("\r\n")
    }

    private static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        // why: lengths are small non-negative numbers; a one- or two-digit fast path
        // avoids allocating a String for the overwhelmingly common case.
        switch value {
        case 0..<10:
            buffer.writeInteger(UInt8(ascii: "0") + UInt8(value))
        case 10..<100:
            buffer.writeInteger(UInt8(ascii: "0") + UInt8(value / 10))
            buffer.writeInteger(UInt8(ascii: "0") + UInt8(value % 10))
        default:
            buffer.writeString(String(value))
        }
    }
}

extension RedisCommand: CustomStringConvertible {
    /// The command name and the number of arguments; never the arguments themselves,
    /// which may hold payloads or passwords.
    public var description: String {
        "\(self.name) (\(self.arguments.count) arguments)"
    }
}
