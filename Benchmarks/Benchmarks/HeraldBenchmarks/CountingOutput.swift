import HeraldCore

/// A connection that only counts what it is given: the fan-out's cost without any socket.
final class CountingOutput: StreamOutput {
    private(set) var writtenBytes = 0
    private(set) var flushes = 0
    var session: StreamSession?

    func write(_ chunk: WireChunk) { writtenBytes += chunk.chunked.readableBytes }
    func flush() { flushes += 1 }
    func close() { session?.connectionClosed() }
}
