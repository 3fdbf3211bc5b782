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
    private let headPromise: EventLoopPromise<Int>
    private let headTimeout: TimeAmount
    private let reading: Bool
    private let onEvent: @Sendable (SSELoadEvent) -> Void
    private let onEnd: @Sendable (HeraldClientError?) -> Void
    private var scanner: SSELoadScanner
    private var headReader = HTTPResponseHeadReader()
    private var body = Body.head
    private var timer: Scheduled<Void>?
    private var ended = false
    private var closedByClient = false

    init(
        request: ByteBuffer, headPromise: EventLoopPromise<Int>, headTimeout: TimeAmount, reading: Bool,
        scanner: SSELoadScanner, onEvent: @escaping @Sendable (SSELoadEvent) -> Void,
        onEnd: @escaping @Sendable (HeraldClientError?) -> Void
    ) {
        self.request = request
        self.headPromise = headPromise
        self.headTimeout = headTimeout
        self.reading = reading
        self.scanner = scanner
        self.onEvent = onEvent
        self.onEnd = onEnd
    }

    func channelActive(context: ChannelHandlerContext) {
        let timeout = headTimeout
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            failHead(HeraldClientError(.timedOut, "no response head within \(timeout)"), context: context)
        }
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard !ended else { return }
        do {
            try buffer.withUnsafeReadableBytes { bytes in try consume(bytes, context: context) }
        } catch {
            let failure = HeraldClientError(.connectionClosed, "the event stream is not valid HTTP: \(error)")
            failHead(failure, context: context)
            finish(failure)
            context.close(promise: nil)
        }
    }

    private func consume(_ bytes: UnsafeRawBufferPointer, context: ChannelHandlerContext) throws {
        var rest = bytes
        if case .head = body {
            guard let (head, consumed) = try headReader.read(rest) else { return }
            rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
            timer?.cancel()
            switch head.framing {
            case .chunked: body = .chunked(ChunkedBodyDecoder())
            case .contentLength(let length): body = .length(length)
            case .untilClose: body = .untilClose
            }
            if !reading { try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false) }
            headPromise.succeed(head.status)
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
        finish(nil)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failHead(HeraldClientError(.connectionClosed, "the server closed the connection before the response head"), context: context)
        finish(nil)
        context.fireChannelInactive()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        closedByClient = true
        context.close(mode: mode, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !closedByClient else {
            finish(nil)
            return
        }
        let failure = HeraldClientError(.connectionClosed, "the event stream failed", underlying: error)
        failHead(failure, context: context)
        finish(failure)
        context.close(promise: nil)
    }

    /// Fails the head promise when no head arrived yet; then there is nothing to end.
    private func failHead(_ error: HeraldClientError, context: ChannelHandlerContext) {
        timer?.cancel()
        guard case .head = body, !ended else { return }
        ended = true
        headPromise.fail(error)
        context.close(promise: nil)
    }

    private func finish(_ error: HeraldClientError?) {
        guard !ended else { return }
        ended = true
        onEnd(error)
    }
}
