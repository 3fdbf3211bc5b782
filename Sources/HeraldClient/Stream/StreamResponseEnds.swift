import NIOCore

/// The exactly-once ends of a client-side event stream, shared by the handlers that read one
/// (``SSEResponseHandler`` through NIOHTTP1, `SSELoadHandler` on raw bytes).
///
/// Guarantees: `headPromise` is completed exactly once: with the head, or failed (no head within the
/// timeout, the connection closed or failed first). `onEnd` is called exactly once and only after a head:
/// with `nil` when the response ended or the connection closed (by either side), else with the failure.
/// Confined to the channel's event loop, inside its handler. why a class: closing the channel calls back into
/// the handler (`channelInactive`) while a method of this is still running.
final class StreamResponseEnds<Head: Sendable> {
    private let headPromise: EventLoopPromise<Head>
    private let onEnd: @Sendable (HeraldClientError?) -> Void
    private var timer: Scheduled<Void>?
    private(set) var sawHead = false
    private(set) var ended = false
    /// Set when the client closes the connection itself: the error that follows is not a failure.
    private var closedByClient = false

    init(headPromise: EventLoopPromise<Head>, onEnd: @escaping @Sendable (HeraldClientError?) -> Void) {
        self.headPromise = headPromise
        self.onEnd = onEnd
    }

    /// Keeps the timer that fails the head when it fires (the caller schedules it, calling `failHead`).
    func armHeadTimer(_ timer: Scheduled<Void>) {
        self.timer = timer
    }

    func headArrived(_ head: Head) {
        sawHead = true
        timer?.cancel()
        headPromise.succeed(head)
    }

    /// Fails the head promise and closes when no head arrived yet; after a head there is nothing to fail.
    func failHead(_ error: HeraldClientError, context: ChannelHandlerContext) {
        timer?.cancel()
        guard !sawHead else { return }
        sawHead = true
        ended = true
        headPromise.fail(error)
        context.close(promise: nil)
    }

    /// Ends the stream once; later calls do nothing.
    func finish(_ error: HeraldClientError?) {
        guard !ended else { return }
        ended = true
        onEnd(error)
    }

    /// A failure of the stream's bytes or connection: fails the head or ends the stream, and closes.
    func fail(_ error: HeraldClientError, context: ChannelHandlerContext) {
        failHead(error, context: context)
        finish(error)
        context.close(promise: nil)
    }

    /// The handler's `channelInactive`: a close after the head is the normal end of a close-delimited
    /// stream (or of our own close).
    func channelInactive(context: ChannelHandlerContext) {
        failHead(HeraldClientError(.connectionClosed, "the server closed the connection before the response head"), context: context)
        finish(nil)
    }

    /// The handler's `close`: the client asked for it.
    func closing() {
        closedByClient = true
    }

    /// The handler's `errorCaught`.
    func errorCaught(_ error: any Error, context: ChannelHandlerContext) {
        guard !closedByClient else { return finish(nil) }
        fail(HeraldClientError(.connectionClosed, "the event stream failed", underlying: error), context: context)
    }
}
