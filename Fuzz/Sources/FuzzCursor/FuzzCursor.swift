import HeraldCore

/// libFuzzer entry for the cursor (`Last-Event-ID`) parser.
///
/// Checks, for every input:
/// - as text: `Cursor(encoded:)` either throws `malformed_cursor` or returns a cursor of at most
///   `Cursor.maximumEntries` entries whose `encoded` text is exactly the input (every cursor has one spelling)
///   and decodes back to the same cursor;
/// - as raw values: a cursor built from the bytes (4-byte key, 4-byte epoch, 8-byte ms, 8-byte ordinal per
///   entry) survives `encoded` → `Cursor(encoded:)` unchanged, for any values including the extremes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCursor(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    checkText(bytes)
    checkValues(bytes)
    return 0
}

private func checkText(_ bytes: UnsafeBufferPointer<UInt8>) {
    let text = String(decoding: bytes, as: UTF8.self)
    let cursor: Cursor
    do {
        cursor = try Cursor(encoded: text)
    } catch {
        guard error.code == .malformedCursor, !error.message.isEmpty else {
            fatalError("Cursor(encoded:) threw \(error.code), not malformed_cursor, for \(text.debugDescription)")
        }
        return
    }
    guard cursor.entries.count <= Cursor.maximumEntries else {
        fatalError("decoded \(cursor.entries.count) entries, above the limit of \(Cursor.maximumEntries)")
    }
    guard cursor.encoded == text else {
        fatalError("cursor \(text.debugDescription) re-encodes as \(cursor.encoded.debugDescription)")
    }
    roundTrip(cursor)
}

private func checkValues(_ bytes: UnsafeBufferPointer<UInt8>) {
    var entries: [Cursor.Entry] = []
    var index = 0
    func take(_ count: Int) -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<count {
            value = value << 8 | UInt64(bytes[index])
            index += 1
        }
        return value
    }
    while bytes.count - index >= 24 {
        let key = UInt32(take(4))
        let epoch = UInt32(take(4))
        let id = StreamID(milliseconds: take(8), ordinal: take(8))
        entries.append(Cursor.Entry(topicKey: key, position: TopicPosition(epoch: epoch, id: id)))
    }
    roundTrip(Cursor(entries: entries))
}

private func roundTrip(_ cursor: Cursor) {
    let text = cursor.encoded
    do {
        let decoded = try Cursor(encoded: text)
        guard decoded == cursor else {
            fatalError("cursor \(text.debugDescription) decodes to \(decoded), not \(cursor)")
        }
    } catch {
        fatalError("Herald's own cursor \(text.debugDescription) is rejected: \(error)")
    }
}
