import NIOCore
import NIOHTTP1

/// Refuses requests that are too big to parse or route, with a JSON error, and closes the connection:
/// - `431 headers_too_large` when the request line and headers exceed `--max-header-size` (the decoder's
///   limits stop reading there, so an oversized request never holds more memory than that);
/// - `414 uri_too_long` when the URL is longer than `--max-url-size`;
/// - `400 malformed_request` for anything else the HTTP decoder cannot parse.
///
/// It replaces NIO's `HTTPServerProtocolErrorHandler`, which answers an empty 400. Like that handler it
/// tracks whether a response is under way, because a second response head must not go into the middle of one.
final class RequestLimitsHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limits: EdgeConfiguration.RequestLimits
    private var responding = false
    private var refused = false

    init(limits: EdgeConfiguration.RequestLimits) {
        self.limits = limits
    }

    /// The HTTP decoder's limits for these settings.
    static func decoderLimits(_ limits: EdgeConfiguration.RequestLimits) -> NIOHTTPDecoderLimitConfiguration {
        var configuration = NIOHTTPDecoderLimitConfiguration()
        configuration.maxHeaderFieldSize = limits.maxHeaderSize
        configuration.maxHeaderListSize = limits.maxHeaderSize
        return configuration
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        if case .head(let head) = unwrapInboundIn(data), head.uri.utf8.count > limits.maxURLSize {
            refused = true
            refuse(EdgeError(.uriTooLong, "the URL is \(head.uri.utf8.count) bytes long, more than \(limits.maxURLSize); subscribe to fewer topics per connection or use shorter names"), context: context)
            return
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let refusal = parserError == .headerOverflow
            ? EdgeError(.headersTooLarge, "the request line and headers exceed \(limits.maxHeaderSize) bytes; send a shorter URL or fewer, smaller headers")
            : EdgeError(.malformedRequest, "the request is not valid HTTP/1.1 (\(parserError)); check the client")
        refuse(refusal, context: context)
        // why: the decoder closes the connection after a parse error; later handlers may log it.
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200: responding = true
        case .end: responding = false
        default: break
        }
        context.write(data, promise: promise)
    }

    private func refuse(_ error: EdgeError, context: ChannelHandlerContext) {
        guard !responding else {
            context.close(promise: nil)
            return
        }
        ResponseWriter.write(error: error, keepAlive: false, context: context)
    }
}
