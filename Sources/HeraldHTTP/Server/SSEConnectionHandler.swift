import HeraldCore
import Logging
import NIOCore
import Synchronization

/// Owns the socket of an event stream: writes the response head with the session's first bytes, then the
/// session's bytes straight to the socket (no HTTP encoder on the hot path), and notices a departed client at once.
///
/// It sits first in the pipeline, so inbound bytes (a client may not send any) are dropped here, and the
/// connection closing — the peer's FIN, a reset, or our own close — ends the session immediately.
final class SSEConnectionHandler: ChannelInboundHandler, RemovableChannelHandler, StreamOutput {
    /// Streams cut for not reading since the process started, for the log line of each cut.
    static let slowReadersCut = Atomic<Int>(0)

    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var session: StreamSession?
    var catchUp: Task<Void, Never>?
    /// Ends the stream when its token expires; cancelled when the connection closes.
    var expiry: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private let chunked: Bool
    /// The response head and prelude, until written in front of the first chunk.
    private var responseHead: ByteBuffer?
    private let bufferLimit: Int
    /// What the catch-up left queued, lowered to the least queued since: a client is cut once more than
    /// `bufferLimit` bytes beyond it are queued. Nil during catch-up, which is never cut.
    /// why: a replay of a long history can queue far more than the limit at once (it is bounded by
    /// retention and already in memory); a client that reads drains it, and a stuck one still gets cut.
    private var replayBacklog: Int?
    private let logger: Logger
    private var closing = false

    init(chunked: Bool, responseHead: ByteBuffer, bufferLimit: Int, logger: Logger) {
        self.chunked = chunked
        self.responseHead = responseHead
        self.bufferLimit = bufferLimit
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelInactive(context: ChannelHandlerContext) {
        catchUp?.cancel()
        catchUp = nil
        expiry?.cancel()
        expiry = nil
        session?.connectionClosed()
        session = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: StreamOutput

    func write(_ chunk: WireChunk) {
        guard let context, !closing else { return }
        if let head = responseHead {
            responseHead = nil
            context.write(wrapOutboundOut(head), promise: nil)
        }
        let bytes = chunked ? chunk.chunked : chunk.payload
        // why: only a connection past its high-water mark can be behind; there, what counts is what is queued
        // now (a slow but steady reader drains it), not everything written while it stayed unwritable.
        if let backlog = replayBacklog, !context.channel.isWritable, let queued = queuedBytes(context) {
            replayBacklog = min(backlog, queued)
            guard queued + bytes.readableBytes <= bufferLimit + min(backlog, queued) else {
                let total = Self.slowReadersCut.add(1, ordering: .relaxed).newValue
                logger.info("closing stream of a client that does not read", metadata: [
                    "herald.bytes.queued": "\(queued)", "herald.slow_readers.cut": "\(total)",
                ])
                close()
                return
            }
        }
        context.write(wrapOutboundOut(bytes), promise: nil)
    }

    func catchUpWritten() {
        replayBacklog = context.flatMap { queuedBytes($0) } ?? 0
    }

    private func queuedBytes(_ context: ChannelHandlerContext) -> Int? {
        try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)
    }

    func flush() {
        context?.flush()
    }

    /// Ends the response (the last chunk) and closes once it is written; a client that does not read is
    /// cut off at once instead.
    func close() {
        guard let context, !closing else { return }
        closing = true
        guard context.channel.isWritable, responseHead == nil else {
            context.close(promise: nil)
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(chunked ? WireChunk.terminator : ByteBuffer()), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
