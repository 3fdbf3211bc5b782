import NIOCore

/// Writes the `tokens` load's requests straight into a `ByteBuffer`, with no `String` or JSON encoder per token.
///
/// A token's event data is `{"seq":N,"ts":NANOS,"tok":"xxxx"}`: the token itself is 4–20 bytes
/// (``tokenLength(generation:sequence:)``), and `seq` and `ts` are what `SSELoadScanner` reads back for the
/// order check and the latency, so an event carries about 50 bytes of data (a hosted model's streaming chunk
/// carries 150–300). Guarantees: Herald gets the data as a JSON string, in `{"topic":T,"data":…}` (one token
/// per request), an array of those (a batch) or, in a streaming request, one line `{"data":…}\n` per chunk,
/// each chunk framed `<hex length>\r\n…\r\n`; nchan gets the data itself as the body of `POST /pub?topic=T`.
/// Every `Content-Length` and chunk length is exact; connections stay open (HTTP/1.1 keep-alive).
struct TokenRequestEncoder: Sendable {
    /// One produced token: its generation, its sequence (from 1) and when it was produced (wall clock, ns).
    struct Token: Sendable, Equatable {
        var generation: Int
        var sequence: UInt64
        var timestamp: UInt64
    }

    let server: BenchServer
    /// Topics are `<topicPrefix>-<generation>`.
    let topicPrefix: String
    private let hostLine: [UInt8]

    private static let dataParts = [#"{"seq":"#, #","ts":"#, #","tok":""#, #""}"#].map { Array($0.utf8) }
    private static let escapedParts = dataParts.map { part in part.flatMap { $0 == UInt8(ascii: "\"") ? [UInt8(ascii: "\\"), $0] : [$0] } }
    private static let dataFixedLength = dataParts.reduce(0) { $0 + $1.count }
    private static let escapedFixedLength = escapedParts.reduce(0) { $0 + $1.count }

    init(server: BenchServer, host: String, port: Int, topicPrefix: String = "bench") {
        self.server = server
        self.topicPrefix = topicPrefix
        hostLine = Array("Host: \(host):\(port)\r\n".utf8)
    }

    /// The length of a token's text: 4 to 20 bytes, the same for the same generation and sequence
    /// (a multiplicative hash spreads the lengths evenly over 4...20, like subword tokens with their spaces).
    static func tokenLength(generation: Int, sequence: UInt64) -> Int {
        let mixed = (UInt64(truncatingIfNeeded: generation) &* 0x9E37_79B9_7F4A_7C15) ^ (sequence &* 0xC2B2_AE3D_27D4_EB4F)
        return 4 + Int((mixed >> 32) % 17)
    }

    /// Bytes of a token's data, raw or escaped as the inside of a JSON string.
    static func dataLength(_ token: Token, escaped: Bool) -> Int {
        (escaped ? escapedFixedLength : dataFixedLength) + token.sequence.decimalDigits + token.timestamp.decimalDigits
            + tokenLength(generation: token.generation, sequence: token.sequence)
    }

    private func writeData(_ token: Token, escaped: Bool, into buffer: inout ByteBuffer) {
        let parts = escaped ? Self.escapedParts : Self.dataParts
        buffer.writeBytes(parts[0])
        buffer.writeDecimal(token.sequence)
        buffer.writeBytes(parts[1])
        buffer.writeDecimal(token.timestamp)
        buffer.writeBytes(parts[2])
        buffer.writeRepeatingByte(UInt8(ascii: "x"), count: Self.tokenLength(generation: token.generation, sequence: token.sequence))
        buffer.writeBytes(parts[3])
    }

    private func topicLength(_ generation: Int) -> Int {
        topicPrefix.utf8.count + 1 + UInt64(generation).decimalDigits
    }

    private func writeTopic(_ generation: Int, into buffer: inout ByteBuffer) {
        buffer.writeString(topicPrefix)
        buffer.writeStaticString("-")
        buffer.writeDecimal(UInt64(generation))
    }

    // why: {"topic":"…","data":"…"} around the topic and the escaped data.
    private static let itemFixedLength = #"{"topic":"","data":""}"#.utf8.count

    private func itemLength(_ token: Token) -> Int {
        Self.itemFixedLength + topicLength(token.generation) + Self.dataLength(token, escaped: true)
    }

    private func writeItem(_ token: Token, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"{"topic":""#)
        writeTopic(token.generation, into: &buffer)
        buffer.writeStaticString(#"","data":""#)
        writeData(token, escaped: true, into: &buffer)
        buffer.writeStaticString(#""}"#)
    }

    private func writeHead(path: StaticString, topic generation: Int?, contentType: StaticString, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("POST ")
        buffer.writeStaticString(path)
        if let generation {
            buffer.writeStaticString("?topic=")
            writeTopic(generation, into: &buffer)
        }
        buffer.writeStaticString(" HTTP/1.1\r\n")
        buffer.writeBytes(hostLine)
        buffer.writeStaticString("Content-Type: ")
        buffer.writeStaticString(contentType)
        buffer.writeStaticString("\r\n")
    }

    /// One request carrying one token: Herald's JSON form, or nchan's body.
    func writeRequest(_ token: Token, into buffer: inout ByteBuffer) {
        switch server {
        case .herald:
            writeHead(path: "/publish", topic: nil, contentType: "application/json", into: &buffer)
            buffer.writeStaticString("Content-Length: ")
            buffer.writeDecimal(UInt64(itemLength(token)))
            buffer.writeStaticString("\r\n\r\n")
            writeItem(token, into: &buffer)
        case .nchan:
            writeHead(path: "/pub", topic: token.generation, contentType: "application/json", into: &buffer)
            buffer.writeStaticString("Content-Length: ")
            buffer.writeDecimal(UInt64(Self.dataLength(token, escaped: false)))
            buffer.writeStaticString("\r\n\r\n")
            writeData(token, escaped: false, into: &buffer)
        }
    }

    /// One request carrying `tokens` (of any generations) as Herald's JSON array body.
    func writeBatch(_ tokens: some Collection<Token>, into buffer: inout ByteBuffer) {
        precondition(server == .herald, "only Herald takes batches")
        let length = tokens.reduce(1 + tokens.count) { $0 + itemLength($1) }  // why: "[", "]" and the commas.
        writeHead(path: "/publish", topic: nil, contentType: "application/json", into: &buffer)
        buffer.writeStaticString("Content-Length: ")
        buffer.writeDecimal(UInt64(length))
        buffer.writeStaticString("\r\n\r\n[")
        var first = true
        for token in tokens {
            if !first { buffer.writeStaticString(",") }
            first = false
            writeItem(token, into: &buffer)
        }
        buffer.writeStaticString("]")
    }

    /// The head of a streaming request of `generation`'s tokens; the body follows as ``writeStreamLine(_:into:)`` chunks.
    func writeStreamHead(generation: Int, into buffer: inout ByteBuffer) {
        precondition(server == .herald, "only Herald takes streaming requests")
        writeHead(path: "/publish", topic: generation, contentType: "application/x-ndjson", into: &buffer)
        buffer.writeStaticString("Transfer-Encoding: chunked\r\n\r\n")
    }

    // why: {"data":"…"} and the line feed around the escaped data.
    private static let lineFixedLength = #"{"data":""}"#.utf8.count + 1

    /// One chunk of a streaming request: `<hex length>\r\n{"data":"…"}\n\r\n`.
    func writeStreamLine(_ token: Token, into buffer: inout ByteBuffer) {
        let length = Self.lineFixedLength + Self.dataLength(token, escaped: true)
        buffer.writeHexadecimal(UInt64(length))
        buffer.writeStaticString("\r\n{\"data\":\"")
        writeData(token, escaped: true, into: &buffer)
        buffer.writeStaticString("\"}\n\r\n")
    }

    /// The last chunk of a streaming request, which ends its body.
    func writeStreamEnd(into buffer: inout ByteBuffer) {
        buffer.writeStaticString("0\r\n\r\n")
    }
}

extension ByteBuffer {
    /// Writes `value` in lower-case hexadecimal ASCII (a chunk size), without creating a `String`.
    mutating func writeHexadecimal(_ value: UInt64) {
        var shift = 60
        while shift > 0, value >> UInt64(shift) == 0 { shift -= 4 }
        while shift >= 0 {
            let digit = UInt8(value >> UInt64(shift) & 0xF)
            writeInteger(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
            shift -= 4
        }
    }
}
