/// The last `depth` (sequence, event id) pairs of each subscriber of one event loop, in one flat arena:
/// what the resume storm needs to resume `depth − 1` events back.
///
/// Guarantees: recording copies the id bytes into preallocated slots and allocates nothing, except when an
/// id longer than every earlier one arrives: then every slot is widened once (ids of one server have about
/// the same length). Not thread-safe: one per event loop.
struct IDRing: Sendable {
    let depth: Int
    private var width: Int
    private var bytes: [UInt8]
    private var lengths: [UInt16]
    private var sequences: [UInt64]
    /// Events recorded per subscriber (the next slot is `count % depth`).
    private var counts: [Int]

    // why: a one-topic Herald id is about 26 bytes and an nchan id about 13; 32 fits both without widening.
    private static let initialWidth = 32

    init(subscribers: Int, depth: Int) {
        self.depth = depth
        width = Self.initialWidth
        bytes = Array(repeating: 0, count: subscribers * depth * Self.initialWidth)
        lengths = Array(repeating: 0, count: subscribers * depth)
        sequences = Array(repeating: 0, count: subscribers * depth)
        counts = Array(repeating: 0, count: subscribers)
    }

    /// Records that `subscriber` received event `sequence` with `id` (empty when it had none).
    mutating func record(subscriber: Int, sequence: UInt64, id: ArraySlice<UInt8>) {
        if id.count > width { widen(to: max(id.count, width * 2)) }
        let slot = subscriber * depth + counts[subscriber] % depth
        counts[subscriber] += 1
        sequences[slot] = sequence
        lengths[slot] = UInt16(id.count)
        let start = slot * width
        bytes.replaceSubrange(start..<(start + id.count), with: id)
    }

    /// The oldest kept entry of `subscriber` once `depth` events were recorded: its sequence and id, and the
    /// sequence of the newest. `nil` while fewer than `depth` events were recorded.
    func oldest(subscriber: Int) -> (sequence: UInt64, id: [UInt8], newest: UInt64)? {
        let count = counts[subscriber]
        guard count >= depth else { return nil }
        let oldest = subscriber * depth + count % depth
        let newest = subscriber * depth + (count - 1) % depth
        let start = oldest * width
        return (sequences[oldest], Array(bytes[start..<(start + Int(lengths[oldest]))]), sequences[newest])
    }

    private mutating func widen(to newWidth: Int) {
        var wider = Array(repeating: UInt8(0), count: lengths.count * newWidth)
        for slot in lengths.indices {
            let length = Int(lengths[slot])
            wider.replaceSubrange(slot * newWidth..<(slot * newWidth + length), with: bytes[(slot * width)..<(slot * width + length)])
        }
        bytes = wider
        width = newWidth
    }
}
