/// A validated topic name: 1 to 256 bytes of UTF-8 without control characters.
///
/// Topics are opaque to Herald (`orders/42`, `user:7`, `room.lobby`); the limits keep keys, cursors and
/// logs sane and keep control characters out of SSE output and Redis key names.
public struct Topic: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The longest topic accepted, in UTF-8 bytes.
    public static let maximumLength = 256

    public let name: String

    /// Validates `name`, throwing `HeraldError` with code `invalid_topic` and a message saying what to change.
    public init(_ name: String) throws(HeraldError) {
        let length = name.utf8.count
        guard length > 0 else {
            throw HeraldError(.invalidTopic, "topic is empty; give a non-empty topic such as \"orders/42\"")
        }
        guard length <= Self.maximumLength else {
            throw HeraldError(.invalidTopic, "topic is \(length) bytes long; the limit is \(Self.maximumLength) bytes")
        }
        // why: the Unicode lookup is only needed when a byte is not printable ASCII; names rarely have one,
        // and live messages are checked too.
        if name.utf8.contains(where: { $0 < 0x20 || $0 >= 0x7F }),
           let bad = name.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            let code = String(bad.value, radix: 16, uppercase: true)
            throw HeraldError(.invalidTopic, "topic contains the control character U+\(code); remove it")
        }
        self.name = name
    }

    /// The 32-bit key that identifies this topic inside a cursor (FNV-1a of its UTF-8 bytes).
    public var cursorKey: UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in name.utf8 {
            hash ^= UInt32(byte)
            hash &*= 0x0100_0193
        }
        return hash
    }

    public var description: String { name }

    public static func < (lhs: Topic, rhs: Topic) -> Bool { lhs.name < rhs.name }
}
