#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `data` of a benchmark event: `{"seq":N,"ts":NANOS,"topic":"…","pad":"xxx…"}`, padded to a
/// requested size, as nchan's baseline body was (`seq` per topic from 1, `ts` = publish wall clock).
///
/// Guarantees: `seq` and `ts` are the first two digit runs of the text, so ``decode(_:)`` reads them
/// without allocating; the padding never makes the text shorter than the fields it carries.
struct BenchPayload: Equatable, Sendable {
    /// Position of the event in its topic, from 1.
    var sequence: UInt64
    /// Wall clock at publish, in nanoseconds since the Unix epoch.
    var timestamp: UInt64

    /// The JSON text for this event on `topic`, padded with `x` to `size` bytes when it is shorter.
    func encoded(topic: String, size: Int) -> String {
        let head = "{\"seq\":\(sequence),\"ts\":\(timestamp),\"topic\":\"\(topic)\",\"pad\":\""
        let tail = "\"}"
        let padding = Swift.max(size - head.utf8.count - tail.utf8.count, 0)
        return head + String(repeating: "x", count: padding) + tail
    }

    /// Reads `seq` and `ts` back from event data; `nil` when the text does not carry two numbers.
    static func decode(_ data: String) -> BenchPayload? {
        var numbers: (UInt64, UInt64) = (0, 0)
        var found = 0
        var inNumber = false
        for byte in data.utf8 {
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                let digit = UInt64(byte - UInt8(ascii: "0"))
                if found == 0 { numbers.0 = numbers.0 &* 10 &+ digit } else { numbers.1 = numbers.1 &* 10 &+ digit }
                inNumber = true
            } else if inNumber {
                inNumber = false
                found += 1
                if found == 2 { break }
            }
        }
        guard found == 2 else { return nil }
        return BenchPayload(sequence: numbers.0, timestamp: numbers.1)
    }

    /// The wall clock now, in nanoseconds since the Unix epoch (what `timestamp` is compared with).
    static func wallClockNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
