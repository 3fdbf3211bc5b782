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

    /// The 64-bit key that identifies this topic inside a cursor (FNV-1a of its UTF-8 bytes).
    ///
    /// why 64 bits: 32-bit keys collide after about 77,000 names (a birthday search found a pair in 1.2 million
    /// tries), and cursors must not confuse two topics of a connection; at 64 bits an accidental collision among
    /// a connection's topics is about as likely as 2^-64 per pair. Cursors name the topics of a deliberately
    /// colliding pair in full (`Cursor.references(for:)`).
    public var cursorKey: UInt64 {
        fnv1a(offset: 0xCBF2_9CE4_8422_2325, prime: 0x0000_0100_0000_01B3)
    }

    /// The 32-bit key of version 1 cursors (FNV-1a), kept to resume cursors that browsers still hold.
    public var legacyCursorKey: UInt32 {
        fnv1a(offset: 0x811C_9DC5, prime: 0x0100_0193)
    }

    private func fnv1a<Hash: FixedWidthInteger & UnsignedInteger>(offset: Hash, prime: Hash) -> Hash {
        var hash = offset
        for byte in name.utf8 {
            hash ^= Hash(byte)
            hash &*= prime
        }
        return hash
    }

    public var description: String { name }

    public static func < (lhs: Topic, rhs: Topic) -> Bool { lhs.name < rhs.name }
}
