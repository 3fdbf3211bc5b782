import NIOCore

/// Text form of a cursor: base64url (no padding) of
/// `version (1 byte) · count (varint) · count × [topic key (4 bytes, big endian) · epoch · ms · ordinal (varints)]`.
///
/// A one-topic cursor is about 26 characters; 32 topics stay under 800, well inside what browsers send back
/// in `Last-Event-ID`. Decoding rejects anything that is not exactly such a value.
extension Cursor {
    static let formatVersion: UInt8 = 1
    /// Cursors with more entries are rejected before any allocation proportional to the claimed count.
    public static let maximumEntries = 1024

    /// The text to put in an SSE `id:` field.
    public var encoded: String {
        var bytes: [UInt8] = [Self.formatVersion]
        bytes.reserveCapacity(2 + entries.count * 20)
        Varint.append(UInt64(entries.count), to: &bytes)
        for entry in entries {
            withUnsafeBytes(of: entry.topicKey.bigEndian) { bytes.append(contentsOf: $0) }
            Varint.append(UInt64(entry.position.epoch), to: &bytes)
            Varint.append(entry.position.id.milliseconds, to: &bytes)
            Varint.append(entry.position.id.ordinal, to: &bytes)
        }
        return Base64URL.encode(bytes)
    }

    /// Parses the text form, throwing `malformed_cursor` with a message that says what is wrong.
    public init(encoded text: some StringProtocol) throws(HeraldError) {
        guard let bytes = Base64URL.decode(text) else {
            throw Self.malformed("it is not base64url text produced by Herald")
        }
        var reader = ByteReader(bytes: bytes)
        guard reader.readByte() == Self.formatVersion else {
            throw Self.malformed("its version is unknown")
        }
        guard let count = reader.readVarint(), count <= UInt64(Self.maximumEntries) else {
            throw Self.malformed("its topic count is missing or larger than \(Self.maximumEntries)")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let key = reader.readUInt32(),
                  let epoch = reader.readVarint(), epoch <= UInt64(UInt32.max),
                  let milliseconds = reader.readVarint(),
                  let ordinal = reader.readVarint()
            else { throw Self.malformed("it is truncated") }
            let id = StreamID(milliseconds: milliseconds, ordinal: ordinal)
            entries.append(Entry(topicKey: key, position: TopicPosition(epoch: UInt32(epoch), id: id)))
        }
        guard reader.isAtEnd else { throw Self.malformed("it has trailing bytes") }
        self.entries = entries
    }

    private static func malformed(_ reason: String) -> HeraldError {
        HeraldError(
            .malformedCursor,
            "the event id (Last-Event-ID or lastEventId) is not a Herald cursor: \(reason); reconnect without it to start from now"
        )
    }
}

/// LEB128 unsigned varints.
enum Varint {
    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }
}

/// A bounds-checked reader over decoded cursor bytes.
struct ByteReader {
    let bytes: [UInt8]
    var index = 0

    var isAtEnd: Bool { index == bytes.count }

    mutating func readByte() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func readUInt32() -> UInt32? {
        guard bytes.count - index >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 { value = value << 8 | UInt32(bytes[index]); index += 1 }
        return value
    }

    /// Reads a varint of at most 10 bytes, rejecting overlong and overflowing encodings.
    mutating func readVarint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = readByte() {
            let payload = UInt64(byte & 0x7F)
            guard shift < 64, shift < 63 || payload <= 1 else { return nil }
            value |= payload << shift
            if byte & 0x80 == 0 {
                // why: a trailing zero group would give one value several spellings.
                return (byte == 0 && shift > 0) ? nil : value
            }
            shift += 7
        }
        return nil
    }
}
