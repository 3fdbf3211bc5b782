import NIOCore

extension ProxyHeader {
    /// `PROXY TCP4|TCP6 <source> <destination> <source port> <destination port>\r\n`, or
    /// `PROXY UNKNOWN …\r\n`, at most 107 bytes.
    static func parseV1(_ bytes: ByteBuffer) throws(ProxyHeaderError) -> ProxyHeader? {
        let view = bytes.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            guard view.count < maximumV1Length else {
                throw ProxyHeaderError(.tooLong, "the PROXY protocol line has no end within \(maximumV1Length) bytes")
            }
            return nil
        }
        let length = newline - view.startIndex + 1
        guard length <= maximumV1Length else {
            throw ProxyHeaderError(.tooLong, "the PROXY protocol line is \(length) bytes, above the protocol's \(maximumV1Length)")
        }
        guard length >= 2, view[newline - 1] == UInt8(ascii: "\r") else {
            throw malformedV1("the line must end with \\r\\n")
        }
        let line = view[(view.startIndex + v1Prefix.count)..<(newline - 1)]
        let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        switch fields.first {
        case "UNKNOWN":
            return ProxyHeader(source: nil, destination: nil, length: length)
        case "TCP4", "TCP6":
            guard fields.count == 5 else {
                throw malformedV1("expected 5 fields after PROXY (protocol, source, destination, source port, destination port), got \(fields.count)")
            }
            let isIPv6 = fields[0] == "TCP6"
            let source = try address(fields[1], port: fields[3], isIPv6: isIPv6)
            let destination = try address(fields[2], port: fields[4], isIPv6: isIPv6)
            return ProxyHeader(source: source, destination: destination, length: length)
        default:
            throw malformedV1("unknown protocol \(String(reflecting: fields.first ?? "")); expected TCP4, TCP6 or UNKNOWN")
        }
    }

    private static func address(_ text: String, port portText: String, isIPv6: Bool) throws(ProxyHeaderError) -> SocketAddress {
        guard (1...5).contains(portText.utf8.count), portText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let port = Int(portText), port <= 65535 else {
            throw malformedV1("\(String(reflecting: portText)) is not a port (0-65535)")
        }
        // why: only the characters of a dotted quad or an IPv6 address; the system parser would take a zone
        // (`%eth0`) or stop at a NUL and accept what comes before it.
        let allowed = text.utf8.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        }
        guard allowed, let address = try? SocketAddress(ipAddress: text, port: port) else {
            throw malformedV1("\(String(reflecting: text)) is not an IP address")
        }
        switch (address, isIPv6) {
        case (.v4, false), (.v6, true): return address
        default: throw malformedV1("\(String(reflecting: text)) is not an \(isIPv6 ? "IPv6" : "IPv4") address, as TCP\(isIPv6 ? 6 : 4) says")
        }
    }

    private static func malformedV1(_ problem: String) -> ProxyHeaderError {
        ProxyHeaderError(.malformed, "malformed PROXY protocol line (version 1): \(problem)")
    }
}
