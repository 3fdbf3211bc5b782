import Testing
@testable import HeraldBench

@Suite("Counting publish responses on a keep-alive connection")
struct PublishResponseReaderTests {
    private static let responses = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{\"id\":\"abc\"}"
        + "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nqueue\r\n0\r\n\r\n"
        + "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"

    private func statuses(_ chunks: [[UInt8]]) throws -> [Int] {
        var reader = PublishResponseReader()
        var statuses: [Int] = []
        for chunk in chunks {
            try chunk.withUnsafeBytes { try reader.read($0) { statuses.append($0) } }
        }
        return statuses
    }

    @Test("responses framed by length or chunked are reported once each, in order, whatever the split")
    func splits() throws {
        let bytes = Array(Self.responses.utf8)
        #expect(try statuses([bytes]) == [200, 201, 503])
        for split in 0...bytes.count {
            #expect(try statuses([Array(bytes[..<split]), Array(bytes[split...])]) == [200, 201, 503], "split at \(split)")
        }
    }

    @Test("a response without a length cannot be followed on a keep-alive connection")
    func untilClose() {
        #expect(throws: PublishResponseReader.Unusable.self) {
            try statuses([Array("HTTP/1.1 200 OK\r\n\r\nok".utf8)])
        }
    }
}
