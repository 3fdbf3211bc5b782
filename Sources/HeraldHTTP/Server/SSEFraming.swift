import HeraldCore
import NIOCore
import NIOHTTP1

/// How an event stream's bytes are framed on its transport, for `SSEConnectionHandler`: the same
/// encode-once `WireChunk` of an event goes to every subscriber, framed here without copying its bytes.
protocol SSEFraming {
    /// What the handler writes to the pipeline.
    associatedtype Part
    /// The part carrying `chunk`.
    func part(_ chunk: WireChunk) -> Part
    /// The bytes that part puts on the wire (framing included for HTTP/1.1 chunks).
    func byteCount(_ chunk: WireChunk) -> Int
    /// The part that ends the response.
    var end: Part { get }
    /// Whether the transport reports the bytes queued for the client (`bufferedWritableBytes`); an HTTP/2
    /// stream does not, and the handler counts what it writes while the stream is unwritable instead.
    static var reportsQueuedBytes: Bool { get }
}

/// HTTP/1.x: the bytes go straight to the socket (no HTTP encoder on the hot path), as chunks of a chunked
/// body, or as they are for HTTP/1.0 peers, whose body ends when the connection closes.
struct HTTP1Framing: SSEFraming {
    let chunked: Bool

    func part(_ chunk: WireChunk) -> ByteBuffer {
        chunked ? chunk.chunked : chunk.payload
    }

    func byteCount(_ chunk: WireChunk) -> Int {
        chunked ? chunk.chunked.readableBytes : chunk.payload.readableBytes
    }

    var end: ByteBuffer { chunked ? WireChunk.terminator : ByteBuffer() }

    static var reportsQueuedBytes: Bool { true }
}

/// HTTP/2: body parts through the stream's HTTP/1 codec, which makes each a DATA frame holding the chunk's
/// payload (a slice of the shared buffer, not a copy); the end is a DATA frame with END_STREAM.
struct HTTP2Framing: SSEFraming {
    func part(_ chunk: WireChunk) -> HTTPServerResponsePart {
        .body(.byteBuffer(chunk.payload))
    }

    func byteCount(_ chunk: WireChunk) -> Int {
        chunk.payload.readableBytes
    }

    var end: HTTPServerResponsePart { .end(nil) }

    static var reportsQueuedBytes: Bool { false }
}
