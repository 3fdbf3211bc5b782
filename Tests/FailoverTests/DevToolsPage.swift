import Foundation
import HeraldClient
import NIOCore
import NIOPosix
import Synchronization

/// The page of a Chromium started with a debugging port, driven through the DevTools protocol on the page's
/// WebSocket: evaluate JavaScript, reload, navigate, capture a screenshot. The WebSocket side is the least
/// that the protocol needs (RFC 6455: a client's masked text frames, the server's unmasked, maybe fragmented,
/// text frames), so the tests need no WebSocket library.
final class DevToolsPage: Sendable {
    private let channel: any Channel
    private let mailbox: Mailbox
    private let nextID = Atomic<Int>(0)

    /// Attaches to the first page of the Chromium serving DevTools on `debuggingPort`, waiting up to `timeout`
    /// for it to list one.
    static func attach(debuggingPort: Int, timeout: Duration) async throws -> DevToolsPage {
        var path: String?
        try await poll(timeout: timeout, "Chromium to list its page") {
            path = await pagePath(debuggingPort)
            return path != nil
        }
        let mailbox = Mailbox()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(FrameReader(mailbox: mailbox)) }
            }
            .connect(host: "127.0.0.1", port: debuggingPort)
            .get()
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try await channel.writeAndFlush(ByteBuffer(string: """
            GET \(path ?? "/") HTTP/1.1\r
            Host: 127.0.0.1:\(debuggingPort)\r
            Upgrade: websocket\r
            Connection: Upgrade\r
            Sec-WebSocket-Key: \(key)\r
            Sec-WebSocket-Version: 13\r
            \r

            """))
        let page = DevToolsPage(channel: channel, mailbox: mailbox)
        // why: the handshake is one local round trip; 10 s bounds a Chromium that never answers.
        try await poll(timeout: .seconds(10), "the DevTools WebSocket handshake") { mailbox.isUpgraded }
        return page
    }

    private init(channel: any Channel, mailbox: Mailbox) {
        self.channel = channel
        self.mailbox = mailbox
    }

    /// Calls `method` and returns its `result`; throws the protocol's error, or after `timeout`.
    @discardableResult
    func call(_ method: String, _ parameters: [String: any Sendable] = [:], timeout: Duration = .seconds(10)) async throws -> [String: Any] {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let envelope: [String: Any] = ["id": id, "method": method, "params": parameters]
        let message = try JSONSerialization.data(withJSONObject: envelope)
        try await channel.writeAndFlush(Self.maskedTextFrame(Array(message)))
        let reply = try await mailbox.reply(to: id, within: timeout)
        let object = try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any] ?? [:]
        if let error = object["error"] { throw FailoverFailure("DevTools \(method) failed: \(error)") }
        return object["result"] as? [String: Any] ?? [:]
    }

    /// The value of `expression` (a JSON-compatible value) in the page, or nil when it throws or the page is
    /// between documents.
    func evaluate(_ expression: String) async -> Any? {
        let result = try? await call("Runtime.evaluate", ["expression": expression, "returnByValue": true])
        guard let value = result?["result"] as? [String: Any], result?["exceptionDetails"] == nil else { return nil }
        return value["value"]
    }

    /// Writes a PNG of the page's viewport to `path`.
    func screenshot(to path: String) async throws {
        let result = try await call("Page.captureScreenshot", ["format": "png"], timeout: .seconds(30))
        guard let base64 = result["data"] as? String, let png = Data(base64Encoded: base64) else {
            throw FailoverFailure("Page.captureScreenshot returned no image")
        }
        try png.write(to: URL(fileURLWithPath: path))
    }

    func close() async {
        try? await channel.close()
    }

    /// The DevTools WebSocket path of the first page target, from `/json/list`.
    private static func pagePath(_ debuggingPort: Int) async -> String? {
        guard let response = try? await HeraldHTTPClient.request(port: debuggingPort, path: "/json/list", timeout: .seconds(2)) else { return nil }
        struct Target: Decodable { var type: String; var webSocketDebuggerUrl: String? }
        let targets = try? JSONDecoder().decode([Target].self, from: Data(response.bodyText.utf8))
        guard let url = targets?.first(where: { $0.type == "page" })?.webSocketDebuggerUrl else { return nil }
        return URLComponents(string: url)?.path
    }

    private static func maskedTextFrame(_ payload: [UInt8]) -> ByteBuffer {
        var frame = ByteBuffer()
        frame.writeInteger(UInt8(0x81))  // FIN, text
        switch payload.count {
        case ..<126: frame.writeInteger(UInt8(0x80 | payload.count))
        case ..<65536: frame.writeInteger(UInt8(0x80 | 126)); frame.writeInteger(UInt16(payload.count))
        default: frame.writeInteger(UInt8(0x80 | 127)); frame.writeInteger(UInt64(payload.count))
        }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame.writeBytes(mask)
        frame.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        return frame
    }

    /// Replies by id; protocol events (messages without an id) are dropped.
    private final class Mailbox: Sendable {
        private struct State {
            var upgraded = false
            var arrived: [Int: String] = [:]
            var waiting: [Int: CheckedContinuation<String, any Error>] = [:]
            var expired: Set<Int> = []
        }
        private let state = Mutex(State())

        var isUpgraded: Bool { state.withLock { $0.upgraded } }

        func upgraded() { state.withLock { $0.upgraded = true } }

        func deliver(_ text: String) {
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            guard let id = object?["id"] as? Int else { return }
            let waiter = state.withLock { state in
                guard let waiter = state.waiting.removeValue(forKey: id) else {
                    state.arrived[id] = text
                    return nil as CheckedContinuation<String, any Error>?
                }
                return waiter
            }
            waiter?.resume(returning: text)
        }

        func reply(to id: Int, within timeout: Duration) async throws -> String {
            let expiry = Task {
                try await Task.sleep(for: timeout)
                self.expire(id)
            }
            defer { expiry.cancel() }
            return try await withCheckedThrowingContinuation { waiter in
                let ready: Result<String, any Error>? = state.withLock { state in
                    if let text = state.arrived.removeValue(forKey: id) { return .success(text) }
                    if state.expired.remove(id) != nil { return .failure(FailoverFailure("no DevTools reply to call \(id) within \(timeout)")) }
                    state.waiting[id] = waiter
                    return nil
                }
                if let ready { waiter.resume(with: ready) }
            }
        }

        private func expire(_ id: Int) {
            let waiter = state.withLock { state in
                guard let waiter = state.waiting.removeValue(forKey: id) else {
                    state.expired.insert(id)
                    return nil as CheckedContinuation<String, any Error>?
                }
                return waiter
            }
            waiter?.resume(throwing: FailoverFailure("no DevTools reply to call \(id) in time"))
        }
    }

    /// Reads the handshake's answer, then the server's frames, and hands complete text messages to the mailbox.
    private final class FrameReader: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private let mailbox: Mailbox
        private var buffer = ByteBuffer()
        private var upgraded = false
        private var fragments: [UInt8] = []

        init(mailbox: Mailbox) { self.mailbox = mailbox }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            buffer.writeBuffer(&bytes)
            if !upgraded {
                let text = String(buffer: buffer)
                guard let end = text.range(of: "\r\n\r\n") else { return }
                guard text.hasPrefix("HTTP/1.1 101") else {
                    context.close(promise: nil)
                    return
                }
                buffer.moveReaderIndex(forwardBy: text[..<end.upperBound].utf8.count)
                upgraded = true
                mailbox.upgraded()
            }
            while let (opcode, final, payload) = nextFrame() {
                if opcode == 8 { context.close(promise: nil); return }
                guard opcode == 0 || opcode == 1 else { continue }  // ping and pong: Chromium sends none unasked
                fragments += payload
                if final {
                    mailbox.deliver(String(decoding: fragments, as: UTF8.self))
                    fragments = []
                }
            }
            buffer.discardReadBytes()
        }

        private func nextFrame() -> (opcode: UInt8, final: Bool, payload: [UInt8])? {
            let start = buffer.readerIndex
            guard let first = buffer.getInteger(at: start, as: UInt8.self), let second = buffer.getInteger(at: start + 1, as: UInt8.self) else { return nil }
            var header = 2
            var length = Int(second & 0x7f)
            if length == 126 {
                guard let extended = buffer.getInteger(at: start + 2, as: UInt16.self) else { return nil }
                (length, header) = (Int(extended), 4)
            } else if length == 127 {
                guard let extended = buffer.getInteger(at: start + 2, as: UInt64.self) else { return nil }
                (length, header) = (Int(extended), 10)
            }
            guard let payload = buffer.getBytes(at: start + header, length: length) else { return nil }
            buffer.moveReaderIndex(forwardBy: header + length)
            return (first & 0x0f, first & 0x80 != 0, payload)
        }
    }
}
