import Testing
import HeraldClient

@Suite("Reading HTTP response heads")
struct HTTPResponseHeadReaderTests {
    private func read(_ text: String) throws -> (HTTPResponseHeadSummary, consumed: Int)? {
        var reader = HTTPResponseHeadReader()
        return try Array(text.utf8).withUnsafeBytes { try reader.read($0) }
    }

    @Test("Herald's chunked stream, nchan's close-delimited one and a publish answer are told apart")
    func framing() throws {
        let herald = try #require(try read("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\ntransfer-encoding: Chunked\r\n\r\n5\r\n"))
        #expect(herald.0 == HTTPResponseHeadSummary(status: 200, framing: .chunked))
        #expect(herald.consumed == "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\ntransfer-encoding: Chunked\r\n\r\n".utf8.count)
        let nchan = try #require(try read("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n: hi\n"))
        #expect(nchan.0 == HTTPResponseHeadSummary(status: 200, framing: .untilClose))
        let publish = try #require(try read("HTTP/1.1 201 Created\nContent-Length: 12\n\n"))
        #expect(publish.0 == HTTPResponseHeadSummary(status: 201, framing: .contentLength(12)))
        #expect(try read("HTTP/1.1 204 No Content\r\n\r\n")?.0.framing == .contentLength(0))
    }

    @Test("a head split anywhere is read once complete, and the reader then reads the next head")
    func split() throws {
        let head = Array("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".utf8)
        for split in 1..<head.count {
            var reader = HTTPResponseHeadReader()
            #expect(try head[..<split].withUnsafeBytes { try reader.read($0) } == nil)
            let second = try head[split...].withUnsafeBytes { try reader.read($0) }
            #expect(second?.0.status == 404 && second?.consumed == head.count - split)
            #expect(try head.withUnsafeBytes { try reader.read($0) }?.0.status == 404)
        }
    }

    @Test("a response that is not HTTP/1.x throws")
    func malformed() {
        #expect(throws: HTTPResponseHeadReader.Malformed.self) { try read("SSH-2.0-OpenSSH\r\n\r\n") }
    }
}
