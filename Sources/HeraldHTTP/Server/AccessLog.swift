import HeraldCore
import Logging
import NIOCore
import NIOHTTP1

/// The access log: one line at info per finished request (`request`) and per closed event stream
/// (`stream closed`), each with its request id, the client's address, duration and bytes. Lines carry the method and path only:
/// never the query string (it may hold an `access_token`), headers, credentials or payloads.
/// `--access-log off` silences them (a node taking tens of thousands of publishes a second may want that).
struct AccessLog: Sendable {
    let logger: Logger
    let isEnabled: Bool

    /// What the log line of a request says about it, kept from its head to its response.
    struct Request: Sendable {
        let id: String
        let start: NIODeadline
        let method: HTTPMethod
        /// The path without the query, at most `maxPathLength` bytes.
        let path: String
        /// The client's address (behind trusted proxies, the one they forwarded), when known.
        let client: String?
        var bytesIn = 0

        /// why: a URL may be 8 KiB (`--max-url-size`); the line needs its route, not all of it.
        static let maxPathLength = 256

        init(head: HTTPRequestHead, client: String?) {
            self.id = RequestID.of(head.headers)
            self.client = client
            self.start = .now()
            self.method = head.method
            let uri = head.uri.utf8
            let path = uri[..<(uri.firstIndex(of: UInt8(ascii: "?")) ?? uri.endIndex)]
            self.path = String(path.prefix(Self.maxPathLength)) ?? "?"
        }
    }

    /// Logs a finished request.
    func finished(_ request: Request, status: HTTPResponseStatus, bytesOut: Int) {
        guard isEnabled else { return }
        logger.info("request", metadata: [
            LogKeys.requestID: "\(request.id)",
            LogKeys.client: "\(request.client ?? "-")",
            LogKeys.method: "\(request.method.rawValue)",
            LogKeys.path: "\(request.path)",
            LogKeys.status: "\(status.code)",
            LogKeys.durationMilliseconds: "\(Self.milliseconds(since: request.start))",
            LogKeys.bytesIn: "\(request.bytesIn)",
            LogKeys.bytesOut: "\(bytesOut)",
        ])
    }

    /// Logs a closed event stream.
    func streamClosed(id: String, client: String?, topicCount: Int, opened: NIODeadline, bytesOut: Int, events: Int, reason: StreamCloseReason) {
        guard isEnabled else { return }
        logger.info("stream closed", metadata: [
            LogKeys.requestID: "\(id)",
            LogKeys.client: "\(client ?? "-")",
            LogKeys.topicCount: "\(topicCount)",
            LogKeys.durationMilliseconds: "\(Self.milliseconds(since: opened))",
            LogKeys.bytesOut: "\(bytesOut)",
            LogKeys.eventsWritten: "\(events)",
            LogKeys.closeReason: "\(reason.rawValue)",
        ])
    }

    private static func milliseconds(since start: NIODeadline) -> Int64 {
        (NIODeadline.now() - start).nanoseconds / 1_000_000
    }
}
