import NIOCore

/// The PROXY protocol header a load balancer (HAProxy's `send-proxy` / `send-proxy-v2`, a cloud balancer)
/// sends first on each connection it opens to a backend, carrying the address of the client it accepted.
///
/// Both versions of the protocol (https://www.haproxy.org/download/2.8/doc/proxy-protocol.txt) are read: the
/// text line of version 1 (`PROXY TCP4 192.0.2.1 192.0.2.9 56324 443\r\n`) and the binary block of
/// version 2 (a 12-byte signature, command, family, length, addresses, then TLVs, which are skipped).
///
/// Guarantees: ``parse(_:)`` looks at no more than the header's own bytes, returns nil only while the bytes
/// so far are the start of a valid header that is not complete yet (so a reader that feeds it more bytes
/// gets the same answer as one that had them all at once), and never needs more than 107 bytes (version 1)
/// or 16 + ``maximumV2Length`` bytes (version 2) to decide.
public struct ProxyHeader: Sendable, Equatable {
    /// The client's address and port as the balancer saw them; nil when the header carries none: a health
    /// check of the balancer itself (version 2 `LOCAL`, version 1 `UNKNOWN`) or a family other than IPv4 and
    /// IPv6. The connection's own peer address stands for the client then.
    public var source: SocketAddress?
    /// The address the client connected to, when given.
    public var destination: SocketAddress?
    /// How many bytes at the start of the connection the header took; what follows is the client's.
    public var length: Int

    public init(source: SocketAddress?, destination: SocketAddress?, length: Int) {
        self.source = source
        self.destination = destination
        self.length = length
    }

    /// The longest version 2 address block (addresses and TLVs) Herald reads. why: the protocol allows
    /// 65,535 bytes; balancers send 12–36 bytes of addresses and at most a few hundred of TLVs.
    public static let maximumV2Length = 4096
    /// The longest version 1 line, `\r\n` included, as the protocol defines it.
    public static let maximumV1Length = 107

    static let v1Prefix: [UInt8] = Array("PROXY ".utf8)
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// Reads the header at the start of `bytes` (its readable bytes); nil while more bytes are needed.
    /// Throws when the bytes cannot be the start of a PROXY protocol header.
    public static func parse(_ bytes: ByteBuffer) throws(ProxyHeaderError) -> ProxyHeader? {
        let view = bytes.readableBytesView
        if startsWith(view, v2Signature) {
            return view.count < v2Signature.count ? nil : try parseV2(bytes)
        }
        if startsWith(view, v1Prefix) {
            return view.count < v1Prefix.count ? nil : try parseV1(bytes)
        }
        throw ProxyHeaderError(
            .notProxyProtocol,
            "the connection did not start with a PROXY protocol header, and this listener requires one (--proxy-protocol); send it from the load balancer (HAProxy: send-proxy-v2) or turn the option off"
        )
    }

    /// Whether `view` and `prefix` agree on their common length.
    private static func startsWith(_ view: ByteBufferView, _ prefix: [UInt8]) -> Bool {
        zip(view, prefix).allSatisfy { $0 == $1 }
    }
}
