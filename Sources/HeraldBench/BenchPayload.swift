#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `data` of a benchmark event: `{"seq":N,"ts":NANOS,"topic":"…","pad":"xxx…"}`, padded to a
/// requested size, as nchan's baseline body was (`seq` per topic from 1, `ts` = publish wall clock).
///
/// ``PublishRequestEncoder`` writes it and `SSELoadScanner` (HeraldClient) reads `seq` and `ts` back from
/// the stream bytes; this type holds the one clock both sides compare.
enum BenchPayload {
    /// The wall clock now, in nanoseconds since the Unix epoch (what `ts` is compared with).
    static func wallClockNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
