import NIOCore

/// A complete HTTP response received by ``HeraldHTTPClient/request(host:port:method:path:headers:body:timeout:eventLoopGroup:)``.
package struct HTTPClientResponse: Sendable {
    /// The status code, e.g. 200.
    package var status: Int
    /// The header fields in received order, names as sent.
    package var headers: [(name: String, value: String)]
    /// The body, de-chunked.
    package var body: ByteBuffer

    package init(status: Int, headers: [(name: String, value: String)], body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name`, compared case-insensitively (ASCII), or `nil`.
    package func header(_ name: String) -> String? {
        Self.values(of: name, in: headers).first
    }

    /// All values of the header `name`, compared case-insensitively (ASCII), in received order.
    package func headerValues(_ name: String) -> [String] {
        Self.values(of: name, in: headers)
    }

    /// The body as UTF-8 text (invalid bytes become U+FFFD).
    package var bodyText: String {
        String(buffer: body)
    }

    static func values(of name: String, in headers: [(name: String, value: String)]) -> [String] {
        let wanted = name.lowercased()
        return headers.filter { $0.name.lowercased() == wanted }.map(\.value)
    }
}
