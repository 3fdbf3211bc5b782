import NIOCore

/// An IP address as bytes, for comparing addresses and networks: 4 bytes for IPv4 (an IPv4-mapped IPv6
/// address such as `::ffff:192.0.2.1`, which a dual-stack listener reports for IPv4 clients, is taken as the
/// IPv4 address), 16 for IPv6.
struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    let bytes: [UInt8]

    /// Reads `192.0.2.1`, `2001:db8::1`, or either inside brackets (`[2001:db8::1]`); nil for anything else.
    init?(_ text: some StringProtocol) {
        var text = Substring(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        guard !text.isEmpty, let address = try? SocketAddress(ipAddress: String(text), port: 0) else { return nil }
        self.init(address)
    }

    /// The address of `bytes` (4 or 16 of them).
    init(bytes: [UInt8]) {
        precondition(bytes.count == 4 || bytes.count == 16, "an IP address has 4 or 16 bytes")
        self.bytes = bytes
    }

    /// The IP address of `address`; nil for a Unix socket.
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            bytes = withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6):
            let raw = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            bytes = raw.prefix(12).elementsEqual(Self.mappedIPv4Prefix) ? Array(raw.suffix(4)) : raw
        case .unixDomainSocket:
            return nil
        }
    }

    private static let mappedIPv4Prefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]

    /// The canonical text (`192.0.2.1`, `2001:db8::1`): one spelling per address, so that limits count a
    /// client once however its address was written.
    var description: String {
        var buffer = ByteBuffer(bytes: bytes)
        return (try? SocketAddress(packedIPAddress: buffer.readSlice(length: bytes.count)!, port: 0))?.ipAddress ?? "?"
    }
}
