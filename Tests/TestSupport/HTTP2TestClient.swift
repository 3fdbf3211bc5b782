import NIOCore
import NIOHPACK
import NIOPosix
import Synchronization

/// An HTTP/2 client that writes frames by hand, for tests that must break the rules a real client follows:
/// streams past the server's limit, resets in a loop, floods of control frames, a flow-control window it never
/// updates. It speaks cleartext (h2c with prior knowledge) and records every frame the server sends.
///
/// It updates the connection's window and the windows of the streams in `replenished` as their DATA arrives
/// (a client that reads); every other stream's window is left to run out (a client that stopped reading).
package final class HTTP2TestClient: Sendable {
    /// A frame the server sent.
    package struct Frame: Sendable {
        package var type: UInt8
        package var flags: UInt8
        package var stream: UInt32
        package var payload: ByteBuffer

        package static let data: UInt8 = 0x0
        package static let headers: UInt8 = 0x1
        package static let resetStream: UInt8 = 0x3
        package static let settings: UInt8 = 0x4
        package static let goAway: UInt8 = 0x7
        package static let windowUpdate: UInt8 = 0x8

        /// The error code of a RST_STREAM or GOAWAY frame.
        package var errorCode: UInt32? {
            switch type {
            case Self.resetStream: payload.getInteger(at: payload.readerIndex, endianness: .big, as: UInt32.self)
            case Self.goAway: payload.getInteger(at: payload.readerIndex + 4, endianness: .big, as: UInt32.self)
            default: nil
            }
        }
    }

    private let channel: any Channel
    private let recorder: Recorder
    private let encoder = Mutex(HPACKEncoder(allocator: ByteBufferAllocator(), useHuffmanEncoding: false))

    /// Connects to 127.0.0.1:`port`, sends the preface and `settings` (identifier, value), and acknowledges
    /// the server's settings as they come.
    package static func connect(port: Int, settings: [(UInt16, UInt32)] = [], replenished: Set<UInt32> = []) async throws -> HTTP2TestClient {
        let recorder = Recorder(replenished: replenished)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(recorder) }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        let client = HTTP2TestClient(channel: channel, recorder: recorder)
        var opening = ByteBuffer(bytes: Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8))
        opening.writeImmutableBuffer(Self.settings(settings))
        try await client.send(opening)
        return client
    }

    private init(channel: any Channel, recorder: Recorder) {
        self.channel = channel
        self.recorder = recorder
    }

    // MARK: Frames

    package static func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32, payload: ByteBuffer = ByteBuffer()) -> ByteBuffer {
        var frame = ByteBuffer()
        let length = UInt32(payload.readableBytes)
        frame.writeInteger(UInt8(length >> 16))
        frame.writeInteger(UInt16(length & 0xFFFF), endianness: .big)
        frame.writeInteger(type)
        frame.writeInteger(flags)
        frame.writeInteger(stream & 0x7FFF_FFFF, endianness: .big)
        frame.writeImmutableBuffer(payload)
        return frame
    }

    package static func settings(_ values: [(UInt16, UInt32)]) -> ByteBuffer {
        var payload = ByteBuffer()
        for (identifier, value) in values {
            payload.writeInteger(identifier, endianness: .big)
            payload.writeInteger(value, endianness: .big)
        }
        return frame(type: Frame.settings, stream: 0, payload: payload)
    }

    package static func resetStream(_ stream: UInt32, code: UInt32 = 0x8) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.writeInteger(code, endianness: .big)
        return frame(type: Frame.resetStream, stream: stream, payload: payload)
    }

    package static func windowUpdate(_ stream: UInt32, increment: UInt32) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.writeInteger(increment, endianness: .big)
        return frame(type: Frame.windowUpdate, stream: stream, payload: payload)
    }

    /// A HEADERS frame for `GET path` (END_STREAM: the request has no body) on `stream`.
    package func get(_ path: String, stream: UInt32, headers extra: [(String, String)] = []) throws -> ByteBuffer {
        let block = try encoder.withLock { encoder -> ByteBuffer in
            try encoder.beginEncoding(allocator: ByteBufferAllocator())
            try encoder.append(headers: [(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1"), (":path", path)] + extra)
            return try encoder.endEncoding()
        }
        return Self.frame(type: Frame.headers, flags: 0x1 | 0x4, stream: stream, payload: block)
    }

    // MARK: Use

    package func send(_ bytes: ByteBuffer) async throws {
        try await channel.writeAndFlush(bytes)
    }

    /// Every frame the server sent so far.
    package var frames: [Frame] { recorder.frames }

    /// Bytes of DATA the server sent on `stream`.
    package func dataBytes(on stream: UInt32) -> Int {
        frames.filter { $0.type == Frame.data && $0.stream == stream }.reduce(0) { $0 + $1.payload.readableBytes }
    }

    /// The DATA of `stream` as text.
    package func text(on stream: UInt32) -> String {
        frames.filter { $0.type == Frame.data && $0.stream == stream }.map { String(buffer: $0.payload) }.joined()
    }

    package var isOpen: Bool { channel.isActive }

    /// Waits (bounded) until `condition` holds for the frames received; returns whether it did.
    package func wait(for timeout: Duration = .seconds(10), until condition: ([Frame]) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition(frames) {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    package func close() async {
        try? await channel.close()
    }

    /// Splits the server's bytes into frames and answers what a client must: SETTINGS with an ACK, DATA
    /// with WINDOW_UPDATEs for the connection and for the streams it replenishes.
    private final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private let state = Mutex((pending: ByteBuffer(), frames: [Frame]()))
        private let replenished: Set<UInt32>

        init(replenished: Set<UInt32>) { self.replenished = replenished }

        var frames: [Frame] { state.withLock { $0.frames } }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            let complete = state.withLock { state -> [Frame] in
                state.pending.writeBuffer(&bytes)
                var frames: [Frame] = []
                while state.pending.readableBytes >= 9,
                      let high = state.pending.getInteger(at: state.pending.readerIndex, as: UInt8.self),
                      let low = state.pending.getInteger(at: state.pending.readerIndex + 1, endianness: .big, as: UInt16.self) {
                    let length = Int(high) << 16 | Int(low)
                    guard state.pending.readableBytes >= 9 + length else { break }
                    state.pending.moveReaderIndex(forwardBy: 3)
                    let type = state.pending.readInteger(as: UInt8.self)!
                    let flags = state.pending.readInteger(as: UInt8.self)!
                    let stream = state.pending.readInteger(endianness: .big, as: UInt32.self)! & 0x7FFF_FFFF
                    let payload = state.pending.readSlice(length: length)!
                    frames.append(Frame(type: type, flags: flags, stream: stream, payload: payload))
                }
                state.pending.discardReadBytes()
                state.frames += frames
                return frames
            }
            for frame in complete {
                if frame.type == Frame.settings, frame.flags & 0x1 == 0 {
                    context.write(wrapOutboundOut(HTTP2TestClient.frame(type: Frame.settings, flags: 0x1, stream: 0)), promise: nil)
                }
                if frame.type == Frame.data, frame.payload.readableBytes > 0 {
                    let increment = UInt32(frame.payload.readableBytes)
                    context.write(wrapOutboundOut(HTTP2TestClient.windowUpdate(0, increment: increment)), promise: nil)
                    if replenished.contains(frame.stream) {
                        context.write(wrapOutboundOut(HTTP2TestClient.windowUpdate(frame.stream, increment: increment)), promise: nil)
                    }
                }
            }
            context.flush()
        }
    }
}
