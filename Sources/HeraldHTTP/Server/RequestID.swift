import NIOHTTP1

/// The id that ties a request's log lines together, echoed in its response as `X-Request-Id`: the client's
/// (or its load balancer's) `X-Request-Id` when it is usable, otherwise a new one.
enum RequestID {
    static let headerName = "x-request-id"
    /// why: 128 characters hold every common id (UUID, W3C trace id, nginx `$request_id`) and bound what a
    /// client can put into the node's logs.
    static let maxLength = 128

    /// The client's id when it is 1–128 characters of letters, digits and `-_.:/+=@`, else a new one.
    /// why: anything else (spaces, quotes, control characters) could forge or break log lines.
    static func of(_ headers: HTTPHeaders) -> String {
        guard let given = headers.first(name: headerName), isUsable(given) else { return generate() }
        return given
    }

    static func isUsable(_ id: String) -> Bool {
        (1...maxLength).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "+"), UInt8(ascii: "="), UInt8(ascii: "@"): true
            default: false
            }
        }
    }

    /// 15 random hex digits (60 bits). why: 15 UTF-8 bytes is the most a Swift string holds inline, so an
    /// id kept by every open stream allocates nothing.
    static func generate() -> String {
        let text = String(UInt64.random(in: 0..<(1 << 60)), radix: 16)
        return String(repeating: "0", count: 15 - text.utf8.count) + text
    }
}
