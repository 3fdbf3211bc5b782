import NIOCore

/// Merges the flushes requested within one event loop tick into one, at the end of the tick.
///
/// Many callers on one loop (a burst of publishes read from many HTTP connections) each send a command and
/// flush; with this handler in front of the Redis handler their commands reach the socket in one write
/// instead of one syscall each. Writes pass through untouched; a flush is delayed by one task hop at most.
final class FlushCoalescingHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = Any

    private var flushScheduled = false

    func flush(context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        // why: a task submitted now runs after the I/O events of this tick were handled, so every request
        // written meanwhile shares this flush.
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            context.flush()
        }
    }
}
