import NIOCore

/// The whole client side of one load-generator event stream, on raw socket bytes: writes the `GET`, reads
/// the response head, removes chunked coding when present and scans events with ``SSELoadScanner``.
///
/// Guarantees: `headPromise` is completed exactly once: with the status code once the head arrived, or
/// failed with ``HeraldClientError/Code/timedOut`` (no head within `headTimeout`) or
/// ``HeraldClientError/Code/connectionClosed``. `onEnd` is called exactly once, and only after a head:
/// with `nil` when the response ended (last chunk, `Content-Length` reached, or the connection closed,
/// by either side), else with the failure. With `reading` false the handler turns `autoRead` off as soon
/// as the head arrived, so the connection then reads nothing until ``SSELoadConnection/resumeReading()``.
final class SSELoadHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Body {
        case head
        case chunked(ChunkedBodyDecoder)
        case length(Int)
        case untilClose
    }

    private let request: ByteBuffer
    private let headTimeout: TimeAmount
    private let reading: Bool
    private let onEvent: @Sendable (SSELoadEvent) -> Void
    private var scanner: SSELoadScanner
    private var headReader = HTTPResponseHeadReader()
    private var body = Body.head
    private let ends: StreamResponseEnds<Int>

    init(
        request: ByteBuffer, headPromise: EventLoopPromise<Int>, headTimeout: TimeAmount, reading: Bool,
        scanner: SSELoadScanner, onEvent: @escaping @Sendable (SSELoadEvent) -> Void,
        onEnd: @escaping @Sendable (HeraldClientError?) -> Void
    ) {
        self.request = request
        self.headTimeout = headTimeout
        self.reading = reading
        self.scanner = scanner
        self.onEvent = onEvent
        self.ends = StreamResponseEnds(headPromise: headPromise, onEnd: onEnd)
    }

    func channelActive(context: ChannelHandlerContext) {
        let timeout = headTimeout
        ends.armHeadTimer(context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            ends.failHead(HeraldClientError(.timedOut, "no response head within \(timeout)"), context: context)
        })
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard !ends.ended else { return }
        do {
            try buffer.withUnsafeReadableBytes { bytes in try consume(bytes, context: context) }
        } catch {
            ends.fail(HeraldClientError(.connectionClosed, "the event stream is not valid HTTP: \(error)"), context: context)
        }
    }

    private func consume(_ bytes: UnsafeRawBufferPointer, context: ChannelHandlerContext) throws {
        var rest = bytes
        if case .head = body {
            guard let (head, consumed) = try headReader.read(rest) else { return }
            rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
            switch head.framing {
            case .chunked: body = .chunked(ChunkedBodyDecoder())
            case .contentLength(let length): body = .length(length)
            case .untilClose: body = .untilClose
            }
            if !reading { try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false) }
            ends.headArrived(head.status)
        }
        switch body {
        case .head:
            return
        case .untilClose:
            scanner.scan(rest, onEvent)
        case .length(let remaining):
            let count = min(remaining, rest.count)
            scanner.scan(UnsafeRawBufferPointer(rebasing: rest[..<count]), onEvent)
            body = .length(remaining - count)
            if remaining == count { endOfResponse(context: context) }
        case .chunked(var decoder):
            body = .head  // why: leave no second copy of the decoder's state while it is mutated.
            try decoder.decode(rest) { scanner.scan($0, onEvent) }
            body = .chunked(decoder)
            if decoder.isDone { endOfResponse(context: context) }
        }
    }

    private func endOfResponse(context: ChannelHandlerContext) {
        ends.finish(nil)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        ends.channelInactive(context: context)
        context.fireChannelInactive()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        ends.closing()
        context.close(mode: mode, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        ends.errorCaught(error, context: context)
    }
}
