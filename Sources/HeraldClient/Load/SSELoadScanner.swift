import NIOCore

/// What ``SSELoadScanner`` reports for one dispatched event: the two benchmark numbers found in its data,
/// and its last event id when the scanner keeps ids.
package struct SSELoadEvent: Sendable, Equatable {
    /// The digits after the first `"seq":` in the event's data lines; `nil` when there were none.
    package var sequence: UInt64?
    /// The digits after the first `"ts":` in the event's data lines; `nil` when there were none.
    package var timestamp: UInt64?
    /// The last event id at dispatch, as raw bytes (`nil` when empty, or when ids are not kept). The slice
    /// is only valid for the call: copy the bytes to keep them.
    package var id: ArraySlice<UInt8>?

    package init(sequence: UInt64? = nil, timestamp: UInt64? = nil, id: ArraySlice<UInt8>? = nil) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.id = id
    }
}

/// A byte-level `text/event-stream` scanner for load generation: it finds event boundaries and reads
/// `"seq":<digits>` and `"ts":<digits>` out of the data, and creates no `String` or array per event.
///
/// Guarantees, as ``SSEParser`` (and browsers) for what it reports: lines end with CR, LF or CRLF, split
/// anywhere across calls (a CR ending one chunk and an LF starting the next are one line end); one leading
/// UTF-8 BOM is skipped; an event is dispatched at a blank line only when it had a `data` field (so
/// comments, `retry:` and id-only blocks dispatch nothing); `id` is the last event id, kept across events,
/// and an `id` value with NUL is ignored. The numbers are searched per `data:` line after the one optional
/// space, with optional spaces after the colon; the first occurrence in an event wins; more than 19
/// digits wrap. Memory is constant: the id (when kept) is the only thing buffered.
package struct SSELoadScanner: Sendable {
    private enum Line: UInt8 { case start, name, valueStart, value }
    private enum Field: UInt8 { case data, id, other }
    private enum Number: UInt8 { case none, sequence, timestamp }

    /// A short ASCII string packed into an integer, first byte lowest: no array (and no reference
    /// counting) on the per-byte path.
    private struct Word {
        let bytes: UInt64
        let count: Int

        init(bytes: UInt64, count: Int) {
            self.bytes = bytes
            self.count = count
        }

        subscript(index: Int) -> UInt8 { UInt8(truncatingIfNeeded: bytes >> (8 * UInt64(index))) }
    }

    // why: computed, not stored statics, so that the per-byte path has no lazy-initialisation check.
    private static var sequenceKey: Word { Word(bytes: 0x3A_22_71_65_73_22, count: 6) }  // "seq":
    private static var timestampKey: Word { Word(bytes: 0x3A_22_73_74_22, count: 5) }  // "ts":
    private static var dataName: Word { Word(bytes: 0x61_74_61_64, count: 4) }  // data
    private static var idName: Word { Word(bytes: 0x64_69, count: 2) }  // id
    private static var byteOrderMark: Word { Word(bytes: 0xBF_BB_EF, count: 3) }

    private let keepsIDs: Bool
    private var line = Line.start
    private var field = Field.other
    private var nameLength = 0
    private var mayBeData = true
    private var mayBeID = true
    private var previousWasCR = false
    private var byteOrderMarkMatched = 0
    private var atStreamStart = true

    private var hasData = false
    private var sequence: UInt64?
    private var timestamp: UInt64?
    private var sequenceMatched = 0
    private var timestampMatched = 0
    private var number = Number.none
    private var numberValue: UInt64 = 0
    private var numberDigits = 0

    private var lastEventID: [UInt8] = []
    private var pendingID: [UInt8] = []
    private var pendingIDHasNUL = false

    /// A scanner for a new stream; with `keepingIDs`, events carry the last event id, starting from
    /// `lastEventID` (what a reconnecting client sent).
    package init(keepingIDs: Bool = false, lastEventID: [UInt8] = []) {
        self.keepsIDs = keepingIDs
        self.lastEventID = lastEventID
    }

    /// Scans the readable bytes of `buffer`, calling `emit` for each event they complete.
    package mutating func scan(_ buffer: ByteBuffer, _ emit: (SSELoadEvent) -> Void) {
        buffer.withUnsafeReadableBytes { scan($0, emit) }
    }

    /// Scans `bytes`, calling `emit` for each event they complete.
    package mutating func scan(_ bytes: UnsafeRawBufferPointer, _ emit: (SSELoadEvent) -> Void) {
        var index = 0
        while index < bytes.count {
            if line == .value, restOfLineIsIgnored {
                // why: the padding is most of a benchmark event; a tight search for the line end skips it.
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n"), bytes[index] != UInt8(ascii: "\r") { index += 1 }
                if index == bytes.count { return }
            }
            let byte = bytes[index]
            index += 1
            if previousWasCR {
                previousWasCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            if atStreamStart, skipsByteOrderMark(byte) { continue }
            switch byte {
            case UInt8(ascii: "\r"):
                previousWasCR = true
                endLine(emit)
            case UInt8(ascii: "\n"):
                endLine(emit)
            default:
                take(byte)
            }
        }
    }

    /// True when nothing in the rest of the current value can change what is reported.
    private var restOfLineIsIgnored: Bool {
        switch field {
        case .other: true
        case .id: !keepsIDs
        case .data: number == .none && sequence != nil && timestamp != nil
        }
    }

    /// Skips the bytes of one leading BOM; a partial BOM makes its line a field nobody knows.
    private mutating func skipsByteOrderMark(_ byte: UInt8) -> Bool {
        if byte == Self.byteOrderMark[byteOrderMarkMatched] {
            byteOrderMarkMatched += 1
            if byteOrderMarkMatched == Self.byteOrderMark.count { atStreamStart = false }
            return true
        }
        atStreamStart = false
        if byteOrderMarkMatched > 0 { mayBeData = false; mayBeID = false; line = .name }
        return false
    }

    private mutating func take(_ byte: UInt8) {
        switch line {
        case .start, .name:
            line = .name
            guard byte != UInt8(ascii: ":") else {
                startValue()
                return
            }
            mayBeData = mayBeData && nameLength < Self.dataName.count && Self.dataName[nameLength] == byte
            mayBeID = mayBeID && nameLength < Self.idName.count && Self.idName[nameLength] == byte
            nameLength += 1
        case .valueStart:
            line = .value
            if byte != UInt8(ascii: " ") { takeValue(byte) }
        case .value:
            takeValue(byte)
        }
    }

    private mutating func startValue() {
        line = .valueStart
        field = fieldFromName()
        if field == .id {
            pendingID.removeAll(keepingCapacity: true)
            pendingIDHasNUL = false
        }
    }

    private func fieldFromName() -> Field {
        if mayBeData, nameLength == Self.dataName.count { return .data }
        if mayBeID, nameLength == Self.idName.count { return .id }
        return .other
    }

    private mutating func takeValue(_ byte: UInt8) {
        switch field {
        case .data: scanData(byte)
        case .id:
            guard keepsIDs else { return }
            if byte == 0 { pendingIDHasNUL = true }
            pendingID.append(byte)
        case .other: return
        }
    }

    private mutating func scanData(_ byte: UInt8) {
        if number != .none {
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                numberValue = numberValue &* 10 &+ UInt64(byte - UInt8(ascii: "0"))
                numberDigits += 1
                return
            }
            if byte == UInt8(ascii: " "), numberDigits == 0 { return }
            finishNumber()
        }
        if advance(&sequenceMatched, key: Self.sequenceKey, with: byte), sequence == nil { startNumber(.sequence) }
        if advance(&timestampMatched, key: Self.timestampKey, with: byte), timestamp == nil { startNumber(.timestamp) }
    }

    /// Moves a key match forward by `byte`; true when the whole key has just been matched. Both keys start
    /// with their only repeated character (`"`), so a mismatch restarts at 0, or at 1 on a quote.
    private func advance(_ matched: inout Int, key: Word, with byte: UInt8) -> Bool {
        if key[matched] == byte {
            matched += 1
            if matched == key.count {
                matched = 0
                return true
            }
            return false
        }
        matched = byte == key[0] ? 1 : 0
        return false
    }

    private mutating func startNumber(_ kind: Number) {
        number = kind
        numberValue = 0
        numberDigits = 0
    }

    private mutating func finishNumber() {
        if numberDigits > 0 {
            switch number {
            case .sequence: sequence = numberValue
            case .timestamp: timestamp = numberValue
            case .none: break
            }
        }
        number = .none
    }

    private mutating func endLine(_ emit: (SSELoadEvent) -> Void) {
        atStreamStart = false
        switch line {
        case .start:
            dispatch(emit)
        case .name:
            // A field name alone ("data", "id") is the field with an empty value.
            startValue()
            endField()
        case .valueStart, .value:
            endField()
        }
        line = .start
        field = .other
        nameLength = 0
        mayBeData = true
        mayBeID = true
        sequenceMatched = 0
        timestampMatched = 0
    }

    private mutating func endField() {
        switch field {
        case .data:
            hasData = true
            finishNumber()
        case .id:
            guard keepsIDs, !pendingIDHasNUL else { return }
            swap(&lastEventID, &pendingID)
        case .other:
            break
        }
    }

    private mutating func dispatch(_ emit: (SSELoadEvent) -> Void) {
        defer {
            hasData = false
            sequence = nil
            timestamp = nil
        }
        guard hasData else { return }
        let id = keepsIDs && !lastEventID.isEmpty ? lastEventID[...] : nil
        emit(SSELoadEvent(sequence: sequence, timestamp: timestamp, id: id))
    }
}
