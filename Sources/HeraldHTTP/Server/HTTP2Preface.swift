import NIOCore

/// The bytes an HTTP/2 client sends first (RFC 9113 §3.4), by which a cleartext listener with `--h2c` tells
/// an HTTP/2 connection with prior knowledge (as balancers open to their backends) from an HTTP/1.1 one.
enum HTTP2Preface {
    static let bytes = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// True once `buffer` starts with the whole preface, false as soon as it cannot; nil while it still may.
    static func matches(_ buffer: ByteBuffer) -> Bool? {
        let view = buffer.readableBytesView
        guard zip(view, bytes).allSatisfy({ $0 == $1 }) else { return false }
        return view.count >= bytes.count ? true : nil
    }
}
