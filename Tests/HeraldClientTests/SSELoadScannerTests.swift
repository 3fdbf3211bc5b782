import Testing
import HeraldClient

@Suite("Byte-level event scanning for the load generator")
struct SSELoadScannerTests {
    /// Scans `chunks` one after the other and returns the events, ids as text.
    private func scan(_ chunks: [String], keepingIDs: Bool = true, lastEventID: String = "") -> [Scanned] {
        var scanner = SSELoadScanner(keepingIDs: keepingIDs, lastEventID: Array(lastEventID.utf8))
        var events: [Scanned] = []
        for chunk in chunks {
            Array(chunk.utf8).withUnsafeBytes { bytes in
                scanner.scan(bytes) { event in
                    events.append(Scanned(sequence: event.sequence, timestamp: event.timestamp, id: event.id.map { String(decoding: $0, as: UTF8.self) }))
                }
            }
        }
        return events
    }

    private struct Scanned: Equatable {
        var sequence: UInt64?
        var timestamp: UInt64?
        var id: String?
    }

    @Test("seq, ts and id are read from a Herald event and the padding is ignored")
    func readsBenchFields() {
        let events = scan([#"data: {"seq":42,"ts":1795282082561374994,"topic":"bench-3","pad":"xx9x"}"# + "\nid: abc_DEF-1\n\n"])
        #expect(events == [Scanned(sequence: 42, timestamp: 1_795_282_082_561_374_994, id: "abc_DEF-1")])
    }

    @Test("the field order of nchan's body and spaces after the colons do not matter")
    func readsAnyOrder() {
        let events = scan([#"data: {"topic":"fan0","ts": 7, "seq" :1, "seq": 9}"# + "\n\n"])
        #expect(events == [Scanned(sequence: 9, timestamp: 7, id: nil)])
    }

    @Test("LF, CRLF and CR all end lines, also when split between reads")
    func lineEnds() {
        let text = "data: {\"seq\":1}\r\n\r\ndata: {\"seq\":2}\r\rdata: {\"seq\":3}\n\n"
        let whole = scan([text])
        #expect(whole.map(\.sequence) == [1, 2, 3])
        for split in 1..<text.utf8.count {
            let bytes = Array(text.utf8)
            let parts = [String(decoding: bytes[..<split], as: UTF8.self), String(decoding: bytes[split...], as: UTF8.self)]
            #expect(scan(parts) == whole, "split at \(split)")
        }
    }

    @Test("a number, a key and an id split byte by byte still read the same")
    func byteByByte() {
        let text = ": hi\n\nid: 1795282082:49\ndata: {\"seq\":1234,\"ts\":5678}\n\n"
        #expect(scan(text.map { String($0) }) == [Scanned(sequence: 1234, timestamp: 5678, id: "1795282082:49")])
    }

    @Test("comments, retry and id-only blocks dispatch nothing, and an event without the keys has no numbers")
    func nothingWithoutData() {
        let events = scan([": hi\n\nretry: 2000\n\nid: only\n\n:ping\n\ndata: hello\n\n"])
        #expect(events == [Scanned(sequence: nil, timestamp: nil, id: "only")])
    }

    @Test("the last event id persists across events, an empty id clears it and an id with NUL is ignored")
    func lastEventID() {
        let events = scan(["data: a\nid: 1\n\ndata: b\n\nid: x\u{0}y\ndata: c\n\nid\ndata: d\n\n"], lastEventID: "start")
        #expect(events.map(\.id) == ["1", "1", "1", nil])
        #expect(scan(["data: a\n\n"], lastEventID: "start").map(\.id) == ["start"])
    }

    @Test("ids are not kept unless asked, and a bare data field dispatches an event")
    func idsOff() {
        #expect(scan(["id: 7\ndata\n\n"], keepingIDs: false) == [Scanned(sequence: nil, timestamp: nil, id: nil)])
    }

    @Test("fields that only start like data or id are ignored, a leading BOM is skipped")
    func otherFields() {
        let events = scan(["\u{FEFF}datax: {\"seq\":1}\nidx: 3\ndat: {\"seq\":2}\n\ndata:{\"seq\":3}\n\n"])
        #expect(events == [Scanned(sequence: 3, timestamp: nil, id: nil)])
    }

    @Test("keys are searched per data line, and the first occurrence in an event wins")
    func perLine() {
        let events = scan(["data: {\"se\ndata: q\":5}\ndata: {\"seq\":6}\ndata: {\"seq\":8,\"ts\":1}\n\n"])
        #expect(events == [Scanned(sequence: 6, timestamp: 1, id: nil)])
    }
}
