import NIOCore
@testable import HeraldCore

/// A `StreamOutput` that behaves like a socket with NIO's water marks: written bytes queue up, the client
/// reads only flushed ones (`read`), the output turns unwritable past `highWaterMark` and, once the queue
/// is below `lowWaterMark` again, writable, telling the session.
final class PacedOutput: StreamOutput {
    let highWaterMark: Int
    let lowWaterMark: Int
    private var queue = ByteBuffer()
    private var unflushed = 0
    private(set) var received = ByteBuffer()
    private(set) var peakQueued = 0
    private(set) var isWritable = true
    private(set) var closed = false
    private(set) var cutForNotReading = false
    var session: StreamSession?
    /// A client that reads everything the moment it is flushed (writability may come back inside `flush`).
    var readsOnFlush = false

    init(highWaterMark: Int, lowWaterMark: Int) {
        self.highWaterMark = highWaterMark
        self.lowWaterMark = lowWaterMark
    }

    var queued: Int { queue.readableBytes }
    var queuedByteCount: Int { queue.readableBytes }

    func write(_ chunk: WireChunk) {
        queue.writeImmutableBuffer(chunk.payload)
        unflushed += chunk.payload.readableBytes
        peakQueued = max(peakQueued, queue.readableBytes)
        if queue.readableBytes > highWaterMark { isWritable = false }
    }

    func flush() {
        unflushed = 0
        if readsOnFlush { read(.max) }
    }

    /// The client reads up to `count` flushed bytes.
    func read(_ count: Int) {
        let available = queue.readableBytes - unflushed
        guard available > 0, var slice = queue.readSlice(length: min(count, available)) else { return }
        received.writeBuffer(&slice)
        if !isWritable && queue.readableBytes < lowWaterMark {
            isWritable = true
            session?.outputBecameWritable()
        }
    }

    func close(reason: StreamCloseReason) {
        closed = true
        session?.connectionClosed()
    }

    func closeSlowReader() {
        cutForNotReading = true
        close(reason: .slowReader)
    }

    /// The `data:` values the client received, in order.
    var dataLines: [String] {
        String(buffer: received).split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
    }
}
