import NIOCore

/// SSE bytes framed once as one HTTP/1.1 chunk (`<hex length>\r\n<payload>\r\n`).
///
/// The fan-out frames each event once per node and writes the same `chunked` buffer to every connection,
/// so the hot path copies nothing per subscriber. `payload` is a zero-copy slice of the same storage, for
/// connections that cannot use chunked framing (HTTP/1.0) and for tests.
public struct WireChunk: Sendable, Equatable {
    public let chunked: ByteBuffer
    public let payload: ByteBuffer

    /// Frames `payload`. An empty payload is not allowed: an empty chunk would end the HTTP response.
    public init(payload: ByteBuffer, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        precondition(payload.readableBytes > 0, "an empty chunk would terminate the response")
        let header = String(payload.readableBytes, radix: 16)
        var framed = allocator.buffer(capacity: header.utf8.count + payload.readableBytes + 4)
        framed.writeString(header)
        framed.writeStaticString("\r\n")
        let payloadOffset = framed.writerIndex
        framed.writeImmutableBuffer(payload)
        framed.writeStaticString("\r\n")
        self.chunked = framed
        self.payload = framed.getSlice(at: payloadOffset, length: payload.readableBytes)!
    }

    /// Builds a chunk whose payload is written by `body`.
    public init(allocator: ByteBufferAllocator = ByteBufferAllocator(), _ body: (inout ByteBuffer) -> Void) {
        var payload = allocator.buffer(capacity: 128)
        body(&payload)
        self.init(payload: payload, allocator: allocator)
    }

    /// The last chunk of a chunked response.
    public static let terminator = ByteBuffer(staticString: "0\r\n\r\n")
}
