import HeraldWire
import NIOCore
import Testing

@Suite("Reading the PROXY protocol header a balancer sends first")
struct ProxyHeaderTests {
    static let v4 = ProxyHeader(
        source: try! SocketAddress(ipAddress: "192.0.2.1", port: 56324),
        destination: try! SocketAddress(ipAddress: "198.51.100.9", port: 443), length: 0
    )
    static let v6 = ProxyHeader(
        source: try! SocketAddress(ipAddress: "2001:db8::17", port: 4711),
        destination: try! SocketAddress(ipAddress: "2001:db8::1", port: 8080), length: 0
    )

    func parse(_ bytes: ByteBuffer) throws -> ProxyHeader? {
        try ProxyHeader.parse(bytes)
    }

    func code(_ bytes: ByteBuffer) -> ProxyHeaderError.Code? {
        do {
            _ = try ProxyHeader.parse(bytes)
            return nil
        } catch {
            #expect(!error.message.isEmpty)
            return error.code
        }
    }

    /// `bytes` with `rest` after it, as a balancer's header is followed by the client's request.
    func followed(_ bytes: ByteBuffer, by rest: String = "GET /events HTTP/1.1\r\n") -> ByteBuffer {
        var all = bytes
        all.writeString(rest)
        return all
    }

    @Test("version 1 gives the client's IPv4 or IPv6 address and port, and its length leaves the request untouched")
    func version1() throws {
        let line = "PROXY TCP4 192.0.2.1 198.51.100.9 56324 443\r\n"
        let header = try #require(try parse(followed(ByteBuffer(string: line))))
        #expect(header.source == Self.v4.source && header.destination == Self.v4.destination)
        #expect(header.length == line.utf8.count)
        let six = try #require(try parse(followed(ByteBuffer(string: "PROXY TCP6 2001:db8::17 2001:db8::1 4711 8080\r\n"))))
        #expect(six.source == Self.v6.source)
        #expect(String(buffer: Self.v4.version1) == line, "the encoding is the protocol's own example form")
    }

    @Test("version 1 UNKNOWN (a balancer's own health check) carries no address")
    func version1Unknown() throws {
        let header = try #require(try parse(ByteBuffer(string: "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n")))
        #expect(header.source == nil && header.length == 35)
        #expect(try parse(ByteBuffer(string: "PROXY UNKNOWN\r\n"))?.source == nil)
    }

    @Test("version 2 gives the addresses of IPv4 and IPv6 clients, skips TLVs, and LOCAL carries no address")
    func version2() throws {
        let four = Self.v4.version2()
        let header = try #require(try parse(followed(four)))
        #expect(header.source == Self.v4.source && header.destination == Self.v4.destination && header.length == 16 + 12)
        let withTLVs = Self.v6.version2(tlvs: [0x01, 0x00, 0x02, 0x68, 0x32, 0x04, 0x00, 0x00])
        let six = try #require(try parse(followed(withTLVs)))
        #expect(six.source == Self.v6.source && six.length == 16 + 36 + 8)
        let local = ProxyHeader(source: nil, destination: nil, length: 0).version2()
        #expect(try parse(followed(local)) == ProxyHeader(source: nil, destination: nil, length: 16))
    }

    @Test("every proper prefix of a valid header asks for more bytes; the whole header is then read the same way")
    func prefixes() throws {
        for header in [Self.v4.version1, Self.v6.version1, Self.v4.version2(), Self.v6.version2(tlvs: [1, 0, 1, 0x61])] {
            let bytes = Array(header.readableBytesView)
            for count in 0..<bytes.count {
                #expect(try parse(ByteBuffer(bytes: bytes.prefix(count))) == nil, "prefix of \(count) of \(bytes.count) bytes")
            }
            #expect(try parse(ByteBuffer(bytes: bytes))?.length == bytes.count)
        }
    }

    @Test("a connection that starts with anything else is refused at once: an HTTP request, a TLS hello, noise")
    func notProxy() {
        #expect(code(ByteBuffer(string: "GET /events HTTP/1.1\r\n")) == .notProxyProtocol)
        #expect(code(ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x02, 0x00])) == .notProxyProtocol)
        #expect(code(ByteBuffer(string: "PROXX")) == .notProxyProtocol)
        #expect(code(ByteBuffer(string: "proxy TCP4")) == .notProxyProtocol, "the protocol's keyword is upper case")
    }

    @Test("broken version 1 lines name what is wrong", arguments: [
        "PROXY TCP4 192.0.2.1 198.51.100.9 56324\r\n",
        "PROXY TCP4 2001:db8::1 198.51.100.9 1 2\r\n",
        "PROXY TCP6 192.0.2.1 2001:db8::1 1 2\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.9 65536 443\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.9 -1 443\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.9 +1 443\r\n",
        "PROXY TCP4 192.0.2.1  198.51.100.9 1 443\r\n",
        "PROXY TCP4 not-an-ip 198.51.100.9 1 443\r\n",
        "PROXY TCP6 2001:db8::1%17 2001:db8::2 1 443\r\n",
        "PROXY TCP4 192.0.2.1\u{0}junk 198.51.100.9 1 443\r\n",
        "PROXY UDP4 192.0.2.1 198.51.100.9 1 443\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.9 1 443\n",
    ])
    func malformedVersion1(line: String) {
        #expect(code(ByteBuffer(string: line)) == .malformed, "\(line.debugDescription)")
    }

    @Test("a version 1 line is at most 107 bytes: without its end by then, it is refused without waiting for more")
    func version1Length() {
        let long = "PROXY UNKNOWN " + String(repeating: "x", count: 93)
        #expect(long.utf8.count == 107)
        #expect(code(ByteBuffer(string: long)) == .tooLong)
        #expect(code(ByteBuffer(string: long + "\r\n")) == .tooLong)
        let longest = "PROXY UNKNOWN " + String(repeating: "x", count: 91) + "\r\n"
        #expect((try? parse(ByteBuffer(string: longest)))?.length == 107)
    }

    @Test("version 2 with an unknown version, command or family, too long a block, or too short for its addresses is refused")
    func malformedVersion2() {
        func header(_ versionAndCommand: UInt8, _ family: UInt8, length: UInt16, block: [UInt8]) -> ByteBuffer {
            var bytes = Self.v4.version2()
            bytes.moveWriterIndex(to: bytes.readerIndex + 12)
            bytes.writeInteger(versionAndCommand)
            bytes.writeInteger(family)
            bytes.writeInteger(length, endianness: .big)
            bytes.writeBytes(block)
            return bytes
        }
        #expect(code(header(0x11, 0x11, length: 12, block: Array(repeating: 1, count: 12))) == .unsupported, "version 1 in binary")
        #expect(code(header(0x22, 0x11, length: 12, block: Array(repeating: 1, count: 12))) == .unsupported, "command 2")
        #expect(code(header(0x21, 0x41, length: 12, block: Array(repeating: 1, count: 12))) == .unsupported, "family 4")
        #expect(code(header(0x21, 0x11, length: 8, block: Array(repeating: 1, count: 8))) == .malformed, "8 bytes for two IPv4 addresses and ports")
        #expect(code(header(0x21, 0x21, length: 12, block: Array(repeating: 1, count: 12))) == .malformed, "12 bytes for IPv6")
        #expect(code(header(0x21, 0x11, length: 4097, block: [])) == .tooLong, "refused from its length field, before the block arrives")
        var early = Self.v4.version2()
        early.moveWriterIndex(to: early.readerIndex + 13)
        early.setInteger(UInt8(0x31), at: early.readerIndex + 12)
        #expect(code(early) == .unsupported, "a wrong version byte is refused before the rest arrives")
    }
}
