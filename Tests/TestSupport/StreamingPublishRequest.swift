import NIOCore

/// A streaming publish (`POST /publish`, `application/x-ndjson`, chunked) written by hand over a
/// `RawConnection`, for tests that control each chunk: a line at a time, a line split over chunks, a lying
/// chunk size, a body that stops.
package struct StreamingPublishRequest: Sendable {
    package let connection: RawConnection

    /// Connects to `port` and sends the request head (the body stays open).
    package static func open(
        port: Int, topic: String? = nil, headers: [(String, String)] = [], contentType: String = "application/x-ndjson"
    ) async throws -> StreamingPublishRequest {
        let connection = try await RawConnection.connect(port: port)
        let query = topic.map { "?topic=" + TestNode.percentEncode($0) } ?? ""
        var head = "POST /publish\(query) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \(contentType)\r\nTransfer-Encoding: chunked\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try await connection.send(head + "\r\n")
        return StreamingPublishRequest(connection: connection)
    }

    /// Sends `text` as one chunk.
    package func chunk(_ text: String) async throws {
        try await connection.send(String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n")
    }

    /// Sends one event line (`json` and a newline) as one chunk.
    package func line(_ json: String) async throws {
        try await chunk(json + "\n")
    }

    /// Ends the body (the last, empty chunk).
    package func end() async throws {
        try await connection.send("0\r\n\r\n")
    }

    /// The complete response (status and body), once it arrived; throws when none did within `timeout`.
    package func response(timeout: Duration = .seconds(10)) async throws -> (status: Int, body: String) {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let response = Self.complete(connection.received) { return response }
            guard ContinuousClock.now < deadline else {
                throw TestNodeError("no complete response within \(timeout); received: \(connection.received.prefix(300))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The first response in `text` when it is complete (its head and `Content-Length` bytes of body).
    package static func complete(_ text: String) -> (status: Int, body: String)? {
        guard let headEnd = text.range(of: "\r\n\r\n") else { return nil }
        let head = text[..<headEnd.lowerBound]
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        let lengthLine = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
        let length = Int(lengthLine?.split(separator: ":").last?.filter { $0 != " " } ?? "") ?? 0
        let body = Array(text[headEnd.upperBound...].utf8)
        guard body.count >= length else { return nil }
        return (status, String(decoding: body.prefix(length), as: UTF8.self))
    }
}
