import NIOCore
import NIOHTTP1

/// First in the pipeline while the first bytes of a connection decide how it is served: a PROXY protocol
/// header (`--proxy-protocol`), or the HTTP/2 connection preface (`--h2c`). It holds what arrives until
/// `decide` can tell, then builds the rest of the pipeline with the decision, leaves, and passes on every
/// byte after the ones the decision took.
///
/// A connection whose bytes `decide` refuses (it throws) gets `400` with the JSON error and is closed, so a
/// plain HTTP client learns what the listener expects; one that does not send enough within `timeout` is
/// closed. Until then a connection holds only what `decide` needs to see (a few KiB at most).
final class LeadingBytesHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// What the first bytes say: how many of them were a preamble for Herald alone, and how to serve the rest.
    struct Decision {
        var consumed: Int
        var configure: (any Channel) throws -> Void
    }

    private let timeout: TimeAmount
    private let decide: (ByteBuffer) throws -> Decision?
    private var received: ByteBuffer?
    private var timer: Scheduled<Void>?
    private var done = false

    /// - Parameter decide: the decision for the bytes so far, nil while it needs more.
    init(timeout: TimeAmount, decide: @escaping (ByteBuffer) throws -> Decision?) {
        self.timeout = timeout
        self.decide = decide
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // why: a balancer or client sends these bytes at once; a peer that sends nothing must not hold the connection.
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            self?.done = true
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        var bytes = unwrapInboundIn(data)
        if var received = self.received {
            self.received = nil
            received.writeBuffer(&bytes)
            bytes = received
        }
        do {
            guard let decision = try decide(bytes) else {
                received = bytes
                return
            }
            done = true
            bytes.moveReaderIndex(forwardBy: decision.consumed)
            try decision.configure(context.channel)
            if bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(bytes)) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            done = true
            refuse(context: context, error: error)
        }
    }

    /// Answers `400` with the JSON error and closes.
    private func refuse(context: ChannelHandlerContext, error: any Error) {
        do {
            try context.pipeline.syncOperations.addHandler(HTTPResponseEncoder(), position: .before(self))
            ResponseWriter.write(error: error, keepAlive: false, context: context)
        } catch {
            context.close(promise: nil)
        }
    }
}
