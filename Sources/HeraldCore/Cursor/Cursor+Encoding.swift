/// Text form of a cursor: base64url (no padding) of `version (1 byte) · count (varint) · count × entry`, where
/// an entry is `topic · epoch · ms · ordinal` (varints after the topic). The version says how topics are named:
///
/// | version | topic | written |
/// |---|---|---|
/// | 1 | 32-bit key (FNV-1a), big endian | before December 2026; still read |
/// | 2 | 64-bit key (`Topic.cursorKey`), big endian | when every topic of the connection has its own key |
/// | 3 | varint 0 then a 64-bit key, or varint n (1…256) then the n-byte name | when two keys collide |
///
/// A one-topic cursor is about 30 characters; 32 topics about 860, well inside what browsers send back
/// in `Last-Event-ID`. Decoding rejects anything that is not exactly such a value, so every cursor has one
/// spelling: a version 3 cursor names at least one topic, and no version but 1 names a topic twice.
extension Cursor {
    static let legacyVersion: UInt8 = 1
    static let keyedVersion: UInt8 = 2
    static let namedVersion: UInt8 = 3
    /// Cursors with more entries are rejected before any allocation proportional to the claimed count.
    public static let maximumEntries = 1024

    /// The text to put in an SSE `id:` field.
    public var encoded: String {
        let version = Self.isLegacy(entries)
            ? Self.legacyVersion
            : entries.contains(where: \.isNamed) ? Self.namedVersion : Self.keyedVersion
        var bytes: [UInt8] = [version]
        bytes.reserveCapacity(2 + entries.count * 24)
        Varint.append(UInt64(entries.count), to: &bytes)
        for entry in entries {
            switch entry.topic {
            case .legacyKey(let key):
                withUnsafeBytes(of: key.bigEndian) { bytes.append(contentsOf: $0) }
            case .key(let key):
                if version == Self.namedVersion { bytes.append(0) }
                withUnsafeBytes(of: key.bigEndian) { bytes.append(contentsOf: $0) }
            case .name(let name):
                Varint.append(UInt64(name.utf8.count), to: &bytes)
                bytes.append(contentsOf: name.utf8)
            }
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
        guard let version = reader.readByte(), (Self.legacyVersion...Self.namedVersion).contains(version) else {
            throw Self.malformed("its version is unknown")
        }
        guard let count = reader.readVarint(), count <= UInt64(Self.maximumEntries) else {
            throw Self.malformed("its topic count is missing or larger than \(Self.maximumEntries)")
        }
        guard count > 0 else { throw Self.malformed("it names no topic") }
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        for _ in 0..<count {
            let topic = try Self.readTopic(version: version, from: &reader)
            guard let epoch = reader.readVarint(), epoch <= UInt64(UInt32.max),
                  let milliseconds = reader.readVarint(),
                  let ordinal = reader.readVarint()
            else { throw Self.malformed("it is truncated") }
            let id = StreamID(milliseconds: milliseconds, ordinal: ordinal)
            entries.append(Entry(topic: topic, position: TopicPosition(epoch: UInt32(epoch), id: id)))
        }
        guard reader.isAtEnd else { throw Self.malformed("it has trailing bytes") }
        if version != Self.legacyVersion {
            // why: Herald never writes a topic twice; a cursor that does could resume one topic from two places.
            guard Set(entries.map(\.topic)).count == entries.count else { throw Self.malformed("it names a topic twice") }
        }
        if version == Self.namedVersion {
            guard entries.contains(where: \.isNamed) else {
                throw Self.malformed("it is version 3 without a topic name")
            }
        }
        self.entries = entries
    }

    private static func readTopic(version: UInt8, from reader: inout ByteReader) throws(HeraldError) -> TopicReference {
        switch version {
        case legacyVersion:
            guard let key = reader.readUInt32() else { throw malformed("it is truncated") }
            return .legacyKey(key)
        case keyedVersion:
            guard let key = reader.readUInt64() else { throw malformed("it is truncated") }
            return .key(key)
        default:
            guard let length = reader.readVarint() else { throw malformed("it is truncated") }
            if length == 0 {
                guard let key = reader.readUInt64() else { throw malformed("it is truncated") }
                return .key(key)
            }
            guard length <= UInt64(Topic.maximumLength), let bytes = reader.readBytes(Int(length)) else {
                throw malformed("a topic name in it is truncated or longer than \(Topic.maximumLength) bytes")
            }
            guard let name = String(validating: bytes, as: UTF8.self), (try? Topic(name)) != nil else {
                throw malformed("a topic name in it is not a valid topic")
            }
            return .name(name)
        }
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
        readBigEndian(UInt32.self)
    }

    mutating func readUInt64() -> UInt64? {
        readBigEndian(UInt64.self)
    }

    private mutating func readBigEndian<Value: FixedWidthInteger & UnsignedInteger>(_: Value.Type) -> Value? {
        let size = Value.bitWidth / 8
        guard bytes.count - index >= size else { return nil }
        var value: Value = 0
        for _ in 0..<size { value = value << 8 | Value(bytes[index]); index += 1 }
        return value
    }

    mutating func readBytes(_ count: Int) -> ArraySlice<UInt8>? {
        guard bytes.count - index >= count else { return nil }
        defer { index += count }
        return bytes[index..<index + count]
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
