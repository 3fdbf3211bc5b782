import HeraldClient
import NIOCore
import NIOHPACK
import NIOHTTP2

/// Puts a load-generator stream, which speaks HTTP/1.1 as bytes (``SSELoadHandler`` in HeraldClient), on one
/// HTTP/2 stream: the request's bytes go out as one HEADERS frame, the response HEADERS come in as a
/// close-delimited HTTP/1.1 head, DATA frames as the body's bytes, and the stream's end closes the channel.
///
/// Guarantees: the body's bytes are passed on as the frames' own buffers (no copy); a request that is not
/// `GET PATH HTTP/1.1` with header lines fails the write; a reset or the end of the stream closes the
/// channel, which the stream handler sees as the end of a close-delimited response.
final class HTTP2StreamAdapter: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTP2Frame.FramePayload

    struct MalformedRequest: Error, CustomStringConvertible {
        var description: String
    }

    private let scheme: String

    init(scheme: String) {
        self.scheme = scheme
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        do {
            let headers = try Self.headers(of: unwrapOutboundIn(data), scheme: scheme)
            context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: headers, endStream: true))), promise: promise)
        } catch {
            promise?.fail(error)
            context.fireErrorCaught(error)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let frame):
            let status = frame.headers.first(name: ":status") ?? "0"
            context.fireChannelRead(wrapInboundOut(ByteBuffer(string: "HTTP/1.1 \(status) -\r\n\r\n")))
            if frame.endStream { context.close(promise: nil) }
        case .data(let frame):
            if case .byteBuffer(let bytes) = frame.data { context.fireChannelRead(wrapInboundOut(bytes)) }
            if frame.endStream { context.close(promise: nil) }
        case .rstStream:
            context.close(promise: nil)
        default:
            break
        }
    }

    /// The HTTP/2 request headers of an HTTP/1.1 request head: `GET PATH HTTP/1.1`, then `Name: value` lines;
    /// `Host` becomes `:authority`.
    static func headers(of request: ByteBuffer, scheme: String) throws -> HPACKHeaders {
        let lines = String(buffer: request).split(separator: "\r\n")
        let requestLine = lines.first?.split(separator: " ") ?? []
        guard requestLine.count == 3, requestLine[2] == "HTTP/1.1" else {
            throw MalformedRequest(description: "not an HTTP/1.1 request line: \(lines.first ?? "")")
        }
        var pseudo: HPACKHeaders = [":method": String(requestLine[0]), ":scheme": scheme, ":path": String(requestLine[1])]
        var regular = HPACKHeaders()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw MalformedRequest(description: "not a header line: \(line)") }
            let name = line[..<colon].lowercased()
            let value = String(line[line.index(after: colon)...].trimmingPrefix(" "))
            // why: pseudo-headers must come before every regular header (RFC 9113, 8.3).
            if name == "host" { pseudo.add(name: ":authority", value: value) } else { regular.add(name: name, value: value) }
        }
        pseudo.add(contentsOf: regular)
        return pseudo
    }
}
