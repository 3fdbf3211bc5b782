import HeraldCore
import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Owns the connection (HTTP/1.x) or stream (HTTP/2) of an event stream: writes the response head with the
/// session's first bytes, then the session's bytes framed by `Framing` (straight to the socket for HTTP/1.x,
/// no HTTP encoder on the hot path), and notices a departed client at once.
///
/// It sits first in the pipeline (behind TLS, when the listener has it), so inbound bytes (a client may not
/// send any) are dropped here, and the
/// connection closing — the peer's FIN, a reset, or our own close — ends the session immediately.
/// Its writability paces the session's replay; once live, a client with more than `bufferLimit` bytes
/// queued is cut (it resumes from its cursor when it reads again). An HTTP/2 stream does not report what is
/// queued: there the bytes written while it is unwritable (its flow-control window spent, or the
/// connection's socket full) count instead, per stream and, through `HTTP2ConnectionBudget`, for all the
/// streams of the connection together; a stream past either is reset alone.
final class SSEConnectionHandler<Framing: SSEFraming>: ChannelInboundHandler, RemovableChannelHandler, StreamOutput {
    typealias InboundIn = NIOAny
    typealias OutboundOut = Framing.Part

    var session: StreamSession?
    var catchUp: Task<Void, Never>?
    /// Ends the stream when its token expires; cancelled when the connection closes.
    var expiry: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private let framing: Framing
    /// The response head and prelude, until written in front of the first chunk.
    private var responseHead: [Framing.Part]?
    /// The bytes of the head, for the access log.
    private let responseHeadBytes: Int
    /// HTTP/2: what every stream of this connection holds for a client that does not read.
    private let connectionBudget: HTTP2ConnectionBudget?
    /// HTTP/2: bytes written since the stream last became unwritable (counted in `connectionBudget`).
    private var heldWhileUnwritable = 0
    private let bufferLimit: Int
    /// Set once the catch-up is written. why: before that the session writes only while the socket is
    /// writable, so the queue stays near the high-water mark; the byte limit is for live delivery.
    private var isLive = false
    /// The node's counters, refusal delays and logger. why: one reference instead of one per concern keeps an
    /// idle connection small.
    private let app: EdgeApplication
    private var logger: Logger { app.logger }
    private var closing = false
    /// For the stream's log lines: its request id, when it was requested, the bytes written, why it closed.
    private let requestID: String
    private let client: String?
    private let opened: NIODeadline
    private var bytesWritten = 0
    private var closeReason: StreamCloseReason?
    /// The channel's writability, kept from its change events. why: asking the channel on every write
    /// (retain, pipeline lookup, atomic load) showed in the fan-out profile.
    private var writable = true

    init(
        framing: Framing, responseHead: [Framing.Part], responseHeadBytes: Int, connectionBudget: HTTP2ConnectionBudget? = nil,
        bufferLimit: Int, app: EdgeApplication, requestID: String, client: String?, opened: NIODeadline
    ) {
        self.framing = framing
        self.responseHead = responseHead
        self.responseHeadBytes = responseHeadBytes
        self.connectionBudget = connectionBudget
        self.bufferLimit = bufferLimit
        self.app = app
        self.requestID = requestID
        self.client = client
        self.opened = opened
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        writable = context.channel.isWritable
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        releaseHeld()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelInactive(context: ChannelHandlerContext) {
        releaseHeld()
        catchUp?.cancel()
        catchUp = nil
        expiry?.cancel()
        expiry = nil
        if let session {
            app.accessLog.streamClosed(
                id: requestID, client: client, topicCount: session.topics.count, opened: opened, bytesOut: bytesWritten,
                events: session.eventsWritten, reason: closeReason ?? .clientClosed
            )
            session.connectionClosed()
        }
        session = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writable = context.channel.isWritable
        if writable {
            releaseHeld()
            session?.outputBecameWritable()
        }
        context.fireChannelWritabilityChanged()
    }

    /// Closes the connection; a peer that stopped acknowledging (`TCP_USER_TIMEOUT` expired: `ETIMEDOUT`, or
    /// the unreachable error the kernel saw meanwhile) is counted and logged as a dead peer.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? IOError, [ETIMEDOUT, EHOSTUNREACH, ENETUNREACH].contains(error.errnoCode), session != nil {
            let total = app.liveness.deadPeerReleased()
            logger.info("released the stream of a dead peer: it stopped acknowledging", metadata: [
                LogKeys.peer: "\(context.remoteAddress.map { "\($0)" } ?? "?")", LogKeys.deadPeersReleased: "\(total)",
                LogKeys.requestID: "\(requestID)",
            ])
            closeReason = closeReason ?? .deadPeer
        }
        closeReason = closeReason ?? .connectionError
        context.close(promise: nil)
    }

    // MARK: StreamOutput

    // why: the session reaches this through the `StreamOutput` existential, whose witness runs the generic body;
    // this makes it dispatch to code specialized for each framing (no generic metadata lookups or dynamic casts
    // per event written).
    @_specialize(where Framing == HTTP1Framing)
    @_specialize(where Framing == HTTP2Framing)
    func write(_ chunk: WireChunk) {
        guard let context, !closing else { return }
        if let head = responseHead {
            responseHead = nil
            bytesWritten += responseHeadBytes
            for part in head { context.write(wrapOutboundOut(part), promise: nil) }
        }
        let count = framing.byteCount(chunk)
        // why: only a connection past its high-water mark can be behind; there, what counts is what is queued
        // now (a slow but steady reader drains it), not everything written while it stayed unwritable.
        if isLive, !writable, isOverLimit(adding: count, context) {
            return closeSlowReader()
        }
        if !writable, !Framing.reportsQueuedBytes {
            heldWhileUnwritable += count
            connectionBudget?.hold(count)
        }
        bytesWritten += count
        context.write(wrapOutboundOut(framing.part(chunk)), promise: nil)
    }

    /// Whether `count` more bytes would put the client past what it may hold.
    private func isOverLimit(adding count: Int, _ context: ChannelHandlerContext) -> Bool {
        guard Framing.reportsQueuedBytes else {
            return heldWhileUnwritable + count > bufferLimit || connectionBudget?.isExceeded(adding: count) == true
        }
        guard let queued = queuedBytes(context) else { return false }
        return queued + count > bufferLimit
    }

    /// The stream drained (or ended): what it held no longer counts against its connection.
    private func releaseHeld() {
        guard heldWhileUnwritable > 0 else { return }
        connectionBudget?.release(heldWhileUnwritable)
        heldWhileUnwritable = 0
    }

    var logMetadata: Logger.Metadata {
        [LogKeys.requestID: "\(requestID)"]
    }

    var isWritable: Bool {
        context == nil || writable
    }

    var queuedByteCount: Int {
        guard Framing.reportsQueuedBytes else { return heldWhileUnwritable }
        return context.flatMap { queuedBytes($0) } ?? 0
    }

    func catchUpWritten() {
        isLive = true
    }

    /// Asked once, when the stream fails before it opened (the backend could not serve it): a refusal.
    var unavailableRetryMilliseconds: Int {
        app.capacity.streamsRefused.add(1, ordering: .relaxed)
        return app.refusalBackoff.nextDelayMilliseconds()
    }

    func closeSlowReader() {
        guard let context, !closing else { return }
        let total = app.liveness.slowReaderCut()
        logger.info("closing stream of a client that does not read", metadata: [
            LogKeys.bytesQueued: "\(queuedByteCount)", LogKeys.slowReadersCut: "\(total)",
            LogKeys.streamLive: "\(isLive)", LogKeys.requestID: "\(requestID)",
        ])
        close(reason: .slowReader)
    }

    /// What the socket's channel says is queued. why: HTTP/1.x only; an HTTP/2 stream channel traps on the option.
    private func queuedBytes(_ context: ChannelHandlerContext) -> Int? {
        try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)
    }

    func flush() {
        context?.flush()
    }

    /// Ends the response (the last chunk) and closes once it is written; a client that does not read is
    /// cut off at once instead.
    func close(reason: StreamCloseReason) {
        guard let context, !closing else { return }
        closing = true
        closeReason = closeReason ?? reason
        guard writable, responseHead == nil else {
            context.close(promise: nil)
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(framing.end), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
