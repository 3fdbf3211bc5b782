import NIOCore

/// An incremental `text/event-stream` parser following the WHATWG HTML "event stream interpretation".
///
/// Feed it byte chunks as they arrive, split anywhere. Guarantees, as in browsers: lines end with CR, LF
/// or CRLF (a CR at the end of one chunk and an LF at the start of the next count as one line end); one
/// leading UTF-8 BOM is stripped; invalid UTF-8 decodes to U+FFFD; `field: value` loses one leading space of
/// the value; `data` lines are joined with `\n`; an `id` containing NUL is ignored and the last event id
/// persists across events; `retry` is reported only when its value is all ASCII digits; an event is
/// dispatched on a blank line, never when its data is empty (though the last event id is still updated);
/// an event not closed by a blank line is never dispatched. Unknown fields are ignored.
///
/// Unlike browsers, comments are reported (as ``Item/comment(_:)``, one leading space removed) so tests can
/// observe heartbeats.
public struct SSEParser: Sendable {
    /// What the stream produced, in stream order.
    public enum Item: Sendable, Equatable {
        case event(SSEEvent)
        /// A `:` line; the text after the colon without its one leading space.
        case comment(String)
        /// A valid `retry:` field: the reconnection delay in milliseconds.
        case retry(Int)
    }

    /// The last event id string: updated when an event is dispatched (even one with empty data), `nil`
    /// when empty. A reconnecting client sends it as `Last-Event-ID`.
    public private(set) var lastEventID: String?

    private var lastEventIDBuffer: String
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var eventType: [UInt8] = []
    private var previousByteWasCR = false
    private var atStreamStart = true

    /// A parser for a new stream; `lastEventID` is the id a reconnecting client starts from.
    public init(lastEventID: String? = nil) {
        self.lastEventID = lastEventID
        self.lastEventIDBuffer = lastEventID ?? ""
    }

    /// Parses the readable bytes of `buffer`, calling `emit` for each item completed by them.
    public mutating func parse(_ buffer: ByteBuffer, _ emit: (Item) -> Void) {
        buffer.withUnsafeReadableBytes { bytes in parse(bytes, emit) }
    }

    /// Parses `bytes`, calling `emit` for each item completed by them.
    public mutating func parse(_ bytes: some Collection<UInt8>, _ emit: (Item) -> Void) {
        var index = bytes.startIndex
        while index != bytes.endIndex {
            if previousByteWasCR {
                previousByteWasCR = false
                if bytes[index] == UInt8(ascii: "\n") {
                    index = bytes.index(after: index)
                    continue
                }
            }
            let lineEnd = bytes[index...].firstIndex(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") })
            guard let lineEnd else {
                line.append(contentsOf: bytes[index...])
                return
            }
            line.append(contentsOf: bytes[index..<lineEnd])
            previousByteWasCR = bytes[lineEnd] == UInt8(ascii: "\r")
            index = bytes.index(after: lineEnd)
            processLine(emit)
        }
    }

    /// Parses `bytes` and returns the items they completed.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [Item] {
        var items: [Item] = []
        parse(bytes) { items.append($0) }
        return items
    }

    private mutating func processLine(_ emit: (Item) -> Void) {
        defer { line.removeAll(keepingCapacity: true) }
        if atStreamStart {
            atStreamStart = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        }
        guard !line.isEmpty else {
            dispatch(emit)
            return
        }
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        var valueStart = colon.map { $0 + 1 } ?? line.count
        if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let value = line[valueStart...]
        guard let colon, colon == 0 else {
            process(field: line[..<(colon ?? line.count)], value: value, emit)
            return
        }
        emit(.comment(String(decoding: value, as: UTF8.self)))
    }

    private mutating func process(field: ArraySlice<UInt8>, value: ArraySlice<UInt8>, _ emit: (Item) -> Void) {
        if field.elementsEqual("data".utf8) {
            data.append(contentsOf: value)
            data.append(UInt8(ascii: "\n"))
        } else if field.elementsEqual("event".utf8) {
            eventType = Array(value)
        } else if field.elementsEqual("id".utf8) {
            if !value.contains(0) { lastEventIDBuffer = String(decoding: value, as: UTF8.self) }
        } else if field.elementsEqual("retry".utf8) {
            let isDigits = !value.isEmpty && value.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            if isDigits, let milliseconds = Int(String(decoding: value, as: UTF8.self)) {
                emit(.retry(milliseconds))
            }
        }
    }

    private mutating func dispatch(_ emit: (Item) -> Void) {
        lastEventID = lastEventIDBuffer.isEmpty ? nil : lastEventIDBuffer
        defer {
            data.removeAll(keepingCapacity: true)
            eventType.removeAll(keepingCapacity: true)
        }
        guard !data.isEmpty else { return }
        data.removeLast()
        let type = eventType.isEmpty ? "message" : String(decoding: eventType, as: UTF8.self)
        emit(.event(SSEEvent(type: type, data: String(decoding: data, as: UTF8.self), id: lastEventID)))
    }
}
