import NIOCore
@testable import HeraldCore

/// A `StreamOutput` that records what a session writes, for tests that need no sockets.
final class RecordingOutput: StreamOutput {
    private(set) var written = ByteBuffer()
    private(set) var flushes = 0
    private(set) var writes = 0
    private(set) var closed = false
    /// Why the session closed the output, when it did.
    private(set) var closeReason: StreamCloseReason?
    var session: StreamSession?

    func write(_ chunk: WireChunk) {
        writes += 1
        written.writeImmutableBuffer(chunk.payload)
    }
    func flush() { flushes += 1 }
    func close(reason: StreamCloseReason) {
        closeReason = reason
        closed = true
        session?.connectionClosed()
    }

    var text: String { String(buffer: written) }

    /// The `data:` values written, in order.
    var dataLines: [String] {
        text.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
    }

    /// The number of comment lines written (heartbeats).
    var comments: Int { text.split(separator: "\n").filter { $0.hasPrefix(":") }.count }

    /// The `id:` values written, in order.
    var ids: [String] {
        text.split(separator: "\n").filter { $0.hasPrefix("id: ") }.map { String($0.dropFirst(4)) }
    }
}
