/// An IP network in CIDR notation (`10.0.0.0/8`, `fd00::/8`), or a single address (`127.0.0.1`), as
/// `--trusted-proxies` lists them.
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    private let base: [UInt8]
    private let prefixLength: Int

    /// Reads `address/prefix` or `address`; nil when `text` is neither (say which value was wrong).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let width = address.bytes.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...width).contains(length), parts[1].allSatisfy(\.isASCIIDigit) else { return nil }
            prefixLength = length
        } else {
            prefixLength = width
        }
        base = address.bytes
    }

    /// Whether `address` lies in this network (an IPv4 address never lies in an IPv6 network, nor the reverse).
    func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == base.count else { return false }
        var remaining = prefixLength
        for (mine, theirs) in zip(base, address.bytes) where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            guard mine & mask == theirs & mask else { return false }
            remaining -= 8
        }
        return true
    }

    public var description: String { "\(IPAddress(bytes: base))/\(prefixLength)" }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
