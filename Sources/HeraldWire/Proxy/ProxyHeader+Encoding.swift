import NIOCore

extension ProxyHeader {
    /// The header in version 1: `PROXY TCP4 <source> <destination> <ports>\r\n`, or `PROXY UNKNOWN\r\n`
    /// when it carries no address (or addresses of two families). For tests and tools that play the balancer.
    public var version1: ByteBuffer {
        guard let source, let destination, let sourceText = source.ipAddress, let destinationText = destination.ipAddress,
              let sourcePort = source.port, let destinationPort = destination.port, source.protocol == destination.protocol
        else {
            return ByteBuffer(string: "PROXY UNKNOWN\r\n")
        }
        let family = if case .v4 = source { "TCP4" } else { "TCP6" }
        return ByteBuffer(string: "PROXY \(family) \(sourceText) \(destinationText) \(sourcePort) \(destinationPort)\r\n")
    }

    /// The header in version 2, command `PROXY` with the addresses (`LOCAL` when it carries none), followed by
    /// `tlvs` (type-length-value records, which readers skip).
    public func version2(tlvs: [UInt8] = []) -> ByteBuffer {
        var bytes = ByteBuffer(bytes: Self.v2Signature)
        var addresses = ByteBuffer()
        var family: UInt8 = 0x00
        if let source, let destination, let sourcePort = source.port, let destinationPort = destination.port,
           let sourceBytes = Self.packed(source), let destinationBytes = Self.packed(destination), sourceBytes.count == destinationBytes.count {
            family = sourceBytes.count == 4 ? 0x11 : 0x21
            addresses.writeBytes(sourceBytes)
            addresses.writeBytes(destinationBytes)
            addresses.writeInteger(UInt16(sourcePort), endianness: .big)
            addresses.writeInteger(UInt16(destinationPort), endianness: .big)
        }
        addresses.writeBytes(tlvs)
        bytes.writeInteger(family == 0 ? UInt8(0x20) : UInt8(0x21))
        bytes.writeInteger(family)
        bytes.writeInteger(UInt16(addresses.readableBytes), endianness: .big)
        bytes.writeBuffer(&addresses)
        return bytes
    }

    private static func packed(_ address: SocketAddress) -> [UInt8]? {
        switch address {
        case .v4(let v4): withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6): withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        case .unixDomainSocket: nil
        }
    }
}
