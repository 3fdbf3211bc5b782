/// Unsigned decimal numbers written in ASCII digits, as Redis replies and Herald's ids carry them.
public enum ASCIIDecimal {
    /// The value of `bytes` when they are one or more ASCII digits (no sign, no spaces) fitting a `UInt64`;
    /// nil otherwise. Unlike `UInt64(_:)` on text, a leading `+` is refused.
    @inlinable
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt64? {
        guard !bytes.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (shifted, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (sum, carried) = shifted.addingReportingOverflow(UInt64(digit))
            guard !overflowed, !carried else { return nil }
            value = sum
        }
        return value
    }
}
