import NIOCore

extension ProxyHeader {
    /// The 12-byte signature, then one byte of version (high 4 bits, 2) and command (low 4 bits: 0 `LOCAL`,
    /// 1 `PROXY`), one byte of address family (high: 0 unspecified, 1 IPv4, 2 IPv6, 3 unix) and transport, a
    /// big-endian 16-bit length, and that many bytes: the addresses, then TLVs.
    static func parseV2(_ bytes: ByteBuffer) throws(ProxyHeaderError) -> ProxyHeader? {
        let start = bytes.readerIndex
        let fixedLength = v2Signature.count + 4
        guard bytes.readableBytes >= fixedLength,
              let versionAndCommand = bytes.getInteger(at: start + 12, as: UInt8.self),
              let family = bytes.getInteger(at: start + 13, as: UInt8.self),
              let blockLength = bytes.getInteger(at: start + 14, endianness: .big, as: UInt16.self).map(Int.init)
        else {
            return try checkedPrefix(bytes)
        }
        try checkVersionAndCommand(versionAndCommand)
        guard blockLength <= maximumV2Length else {
            throw ProxyHeaderError(.tooLong, "the PROXY protocol header announces \(blockLength) bytes of addresses and TLVs; Herald reads at most \(maximumV2Length)")
        }
        guard bytes.readableBytes >= fixedLength + blockLength else { return nil }
        let length = fixedLength + blockLength
        // LOCAL: the balancer's own connection (a health check); its addresses, if any, are not a client's.
        guard versionAndCommand & 0x0F == 1 else { return ProxyHeader(source: nil, destination: nil, length: length) }
        let block = bytes.getSlice(at: start + fixedLength, length: blockLength)!
        switch family >> 4 {
        case 1: return try addresses(block, width: 4, length: length)
        case 2: return try addresses(block, width: 16, length: length)
        case 0, 3: return ProxyHeader(source: nil, destination: nil, length: length)
        default:
            throw ProxyHeaderError(.unsupported, "the PROXY protocol header names address family \(family >> 4), which the protocol does not define")
        }
    }

    /// With fewer than 16 bytes: throws if the bytes that are there already break the protocol, else nil.
    private static func checkedPrefix(_ bytes: ByteBuffer) throws(ProxyHeaderError) -> ProxyHeader? {
        if let versionAndCommand = bytes.getInteger(at: bytes.readerIndex + 12, as: UInt8.self) {
            try checkVersionAndCommand(versionAndCommand)
        }
        return nil
    }

    private static func checkVersionAndCommand(_ byte: UInt8) throws(ProxyHeaderError) {
        guard byte >> 4 == 2 else {
            throw ProxyHeaderError(.unsupported, "the PROXY protocol header has version \(byte >> 4); Herald reads versions 1 and 2")
        }
        guard byte & 0x0F <= 1 else {
            throw ProxyHeaderError(.unsupported, "the PROXY protocol header has command \(byte & 0x0F); the protocol defines LOCAL (0) and PROXY (1)")
        }
    }

    /// Source address, destination address, source port, destination port; `width` bytes an address.
    private static func addresses(_ block: ByteBuffer, width: Int, length: Int) throws(ProxyHeaderError) -> ProxyHeader {
        var block = block
        guard block.readableBytes >= 2 * width + 4,
              let source = block.readSlice(length: width), let destination = block.readSlice(length: width),
              let sourcePort = block.readInteger(endianness: .big, as: UInt16.self),
              let destinationPort = block.readInteger(endianness: .big, as: UInt16.self)
        else {
            throw ProxyHeaderError(
                .malformed,
                "malformed PROXY protocol header (version 2): \(block.readableBytes) bytes cannot hold two IPv\(width == 4 ? 4 : 6) addresses and ports (\(2 * width + 4) bytes)"
            )
        }
        // why: 4 and 16 bytes are the two lengths SocketAddress(packedIPAddress:) takes; it cannot fail here.
        return ProxyHeader(
            source: try? SocketAddress(packedIPAddress: source, port: Int(sourcePort)),
            destination: try? SocketAddress(packedIPAddress: destination, port: Int(destinationPort)),
            length: length
        )
    }
}
