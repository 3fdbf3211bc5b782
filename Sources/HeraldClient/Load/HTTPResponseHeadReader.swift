/// The parts of an HTTP/1.x response head that a load generator needs: the status and how the body ends.
package struct HTTPResponseHeadSummary: Sendable, Equatable {
    /// How the end of the body is found.
    package enum Framing: Sendable, Equatable {
        case chunked
        case contentLength(Int)
        /// The body runs until the server closes the connection (nchan's event streams do this).
        case untilClose
    }

    package var status: Int
    package var framing: Framing

    package init(status: Int, framing: Framing) {
        self.status = status
        self.framing = framing
    }
}

/// Reads one HTTP/1.x response head from bytes that arrive in pieces, without a `String` per header.
///
/// Guarantees: the head ends at the first blank line (CRLF CRLF, or bare LFs); `Transfer-Encoding` naming
/// `chunked` wins over `Content-Length`; 1xx, 204 and 304 have an empty body; a head over 16 KiB, or one
/// whose status line is not `HTTP/1.x NNN`, throws. After a head is returned the reader is ready for the
/// next response of a keep-alive connection.
package struct HTTPResponseHeadReader: Sendable {
    /// The head was not HTTP/1.x.
    package struct Malformed: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    // why: real heads are a few hundred bytes; 16 KiB only stops a peer that is not speaking HTTP.
    private static let maximumHeadSize = 16 * 1024

    private var head: [UInt8] = []

    package init() {}

    /// Consumes bytes of `bytes` up to the end of the head: returns the head and how many bytes it took
    /// from `bytes` once complete, else `nil` (all of `bytes` was taken).
    package mutating func read(_ bytes: UnsafeRawBufferPointer) throws -> (HTTPResponseHeadSummary, consumed: Int)? {
        for (index, byte) in bytes.enumerated() {
            head.append(byte)
            guard byte == UInt8(ascii: "\n") else { continue }
            let count = head.count
            let blankLine = (count >= 2 && head[count - 2] == UInt8(ascii: "\n"))
                || (count >= 3 && head[count - 2] == UInt8(ascii: "\r") && head[count - 3] == UInt8(ascii: "\n"))
            guard blankLine else { continue }
            defer { head.removeAll(keepingCapacity: true) }
            return (try summary(), index + 1)
        }
        guard head.count <= Self.maximumHeadSize else { throw Malformed(description: "response head over 16 KiB") }
        return nil
    }

    private func summary() throws -> HTTPResponseHeadSummary {
        let lines = head.split(separator: UInt8(ascii: "\n")).map { $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0 }
        guard let statusLine = lines.first, statusLine.starts(with: "HTTP/1.".utf8), statusLine.count >= 12,
              let status = Int(String(decoding: statusLine.dropFirst(9).prefix(3), as: UTF8.self))
        else {
            throw Malformed(description: "not an HTTP/1.x status line: \(String(decoding: lines.first ?? [], as: UTF8.self).prefix(80))")
        }
        var chunked = false
        var length: Int?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = line[..<colon]
            let value = String(decoding: line[line.index(after: colon)...], as: UTF8.self).lowercased()
            if Self.equalsIgnoringCase(name, "transfer-encoding") {
                chunked = chunked || value.contains("chunked")
            } else if Self.equalsIgnoringCase(name, "content-length") {
                length = Int(value.filter { $0 != " " && $0 != "\t" })
            }
        }
        if (100..<200).contains(status) || status == 204 || status == 304 {
            return HTTPResponseHeadSummary(status: status, framing: .contentLength(0))
        }
        if chunked { return HTTPResponseHeadSummary(status: status, framing: .chunked) }
        if let length { return HTTPResponseHeadSummary(status: status, framing: .contentLength(length)) }
        return HTTPResponseHeadSummary(status: status, framing: .untilClose)
    }

    private static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ name: String) -> Bool {
        bytes.count == name.utf8.count && zip(bytes, name.utf8).allSatisfy { $0 | 0x20 == $1 | 0x20 }
    }
}
