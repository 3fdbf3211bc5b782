import NIOCore
import NIOHTTP2

/// Last in an HTTP/2 connection's pipeline: closes the connection after the errors for which NIO's HTTP/2
/// handler sent GOAWAY because the peer misbehaves (floods of resets, control frames, empty DATA or other
/// glitches or stream errors, as in CVE-2023-44487; oversized header blocks; bytes that are not HTTP/2). NIO reports them and
/// leaves closing to the application. Stream errors (a stream past the limit, a bad header) reset one stream
/// and are reported the same way, so they are told apart by type and leave the connection open.
final class HTTP2ErrorCloser: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case is NIOHTTP2Errors.ExcessiveRSTFrames, is NIOHTTP2Errors.ExcessiveControlFrames,
             is NIOHTTP2Errors.ExcessiveEmptyDataFrames, is NIOHTTP2Errors.ExcessiveStreamErrors, is NIOHTTP2Errors.ExcessiveNumberOfGlitches,
             is NIOHTTP2Errors.ExcessiveOutboundFrameBuffering, is NIOHTTP2Errors.ExcessivelyLargeHeaderBlock,
             is NIOHTTP2Errors.UnableToParseFrame, is NIOHTTP2Errors.BadClientMagic, is NIOHTTP2Errors.MissingPreface:
            context.close(promise: nil)
        default:
            break
        }
    }
}
