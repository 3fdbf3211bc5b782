import NIOCore
import NIOHTTP1

/// Where an ``SSEResponseHandler`` sends what it reads; every closure is called on the channel's event loop.
struct SSEResponseSink: Sendable {
    /// Each de-chunked body part, before parsing; `nil` to skip keeping raw bytes.
    var body: (@Sendable (ByteBuffer) -> Void)?
    /// Each parsed item.
    var item: @Sendable (SSEParser.Item) -> Void
    /// After each body part: the parser's last event id string (what a browser would resume from); `nil` to skip.
    var lastEventID: (@Sendable (String?) -> Void)? = nil
    /// Once: `nil` when the server ended the response or the connection closed, else the failure.
    var end: @Sendable (HeraldClientError?) -> Void
}

/// Sends one `GET` for an event stream when the channel becomes active, then parses the response body on
/// the event loop as it arrives.
///
/// Guarantees: `headPromise` is completed exactly once: with the response head, or with
/// ``HeraldClientError/Code/timedOut`` when no head arrives within `headTimeout`, or with
/// ``HeraldClientError/Code/connectionClosed``. The sink's `end` is called exactly once, after the head.
/// Body items are parsed whatever the status code.
final class SSEResponseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private let requestHead: HTTPRequestHead
    private let headTimeout: TimeAmount
    private let sink: SSEResponseSink
    private var parser: SSEParser
    private let ends: StreamResponseEnds<HTTPResponseHead>

    init(
        requestHead: HTTPRequestHead, lastEventID: String?, headPromise: EventLoopPromise<HTTPResponseHead>,
        headTimeout: TimeAmount, sink: SSEResponseSink
    ) {
        self.requestHead = requestHead
        self.ends = StreamResponseEnds(headPromise: headPromise, onEnd: sink.end)
        self.headTimeout = headTimeout
        self.sink = sink
        self.parser = SSEParser(lastEventID: lastEventID)
    }

    func channelActive(context: ChannelHandlerContext) {
        let timeout = headTimeout
        ends.armHeadTimer(context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            ends.failHead(HeraldClientError(.timedOut, "no response head within \(timeout)"), context: context)
        })
        context.write(wrapOutboundOut(.head(requestHead)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            ends.headArrived(head)
        case .body(let buffer):
            sink.body?(buffer)
            // why: the last event id is recorded before each event is handed on, so that a reader that got an
            // event never sees an older id (it was set after the whole buffer, and a reader on another thread
            // could resume from the id before the event it had just read: a duplicate).
            let sink = self.sink
            parser.parse(buffer) { item in
                if case .event(let event) = item { sink.lastEventID?(event.id) }
                sink.item(item)
            }
            sink.lastEventID?(parser.lastEventID)
        case .end:
            ends.finish(nil)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        ends.channelInactive(context: context)
        context.fireChannelInactive()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // why: closing mid-response makes the HTTP decoder report an unexpected end; that is not a failure
        // when the client asked for it.
        ends.closing()
        context.close(mode: mode, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        ends.errorCaught(error, context: context)
    }
}
