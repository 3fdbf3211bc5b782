import NIOCore

/// Builds the `ByteBuffer`s the tests feed to the parsers.
enum ByteBufferFixture {
    static func make(_ text: String) -> ByteBuffer {
        ByteBuffer(string: text)
    }

    static func make(_ bytes: [UInt8]) -> ByteBuffer {
        ByteBuffer(bytes: bytes)
    }
}
