/// Removes HTTP/1.1 chunked transfer coding from a body, in place and incrementally: the data of each
/// chunk is handed on as slices of the input, never copied.
///
/// Guarantees: input may be split anywhere across calls; chunk extensions and trailers are skipped; line
/// ends may be CRLF or a bare LF; after the last chunk (size 0) and its trailers the body has ended and
/// further bytes are not read. A size that is not hexadecimal, or over 2^40, throws.
package struct ChunkedBodyDecoder: Sendable {
    /// The chunked framing was broken.
    package struct Malformed: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    private enum State: Sendable {
        case size(UInt64, digits: Int)
        case sizeLineRest(UInt64)
        case data(UInt64)
        case dataEnd
        case trailerLineStart
        case trailerLine
        case done
    }

    // why: no sane chunk is a terabyte; a bigger size means the framing is lost.
    private static let maximumChunkSize: UInt64 = 1 << 40

    private var state = State.size(0, digits: 0)

    package init() {}

    /// True once the last chunk and its trailers were read.
    package var isDone: Bool {
        if case .done = state { return true }
        return false
    }

    /// Decodes `bytes`, calling `body` with each run of chunk data in order; returns the number of bytes
    /// consumed, which is less than `bytes.count` only when the body ended inside them.
    @discardableResult
    package mutating func decode(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) throws -> Int {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch state {
            case .size(let size, let digits):
                if let value = Self.hexValue(byte) {
                    let next = size << 4 | UInt64(value)
                    guard next <= Self.maximumChunkSize else { throw Malformed(description: "chunk size over 2^40") }
                    state = .size(next, digits: digits + 1)
                } else if digits > 0, byte == UInt8(ascii: "\n") {
                    state = size == 0 ? .trailerLineStart : .data(size)
                } else if digits > 0, byte == UInt8(ascii: "\r") || byte == UInt8(ascii: ";") || byte == UInt8(ascii: " ") {
                    state = .sizeLineRest(size)
                } else {
                    throw Malformed(description: "chunk size expected, found byte \(byte)")
                }
                index += 1
            case .sizeLineRest(let size):
                if byte == UInt8(ascii: "\n") { state = size == 0 ? .trailerLineStart : .data(size) }
                index += 1
            case .data(let remaining):
                let count = Int(min(remaining, UInt64(bytes.count - index)))
                body(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + count)]))
                index += count
                state = remaining == UInt64(count) ? .dataEnd : .data(remaining - UInt64(count))
            case .dataEnd:
                if byte == UInt8(ascii: "\n") {
                    state = .size(0, digits: 0)
                } else if byte != UInt8(ascii: "\r") {
                    throw Malformed(description: "CRLF expected after chunk data, found byte \(byte)")
                }
                index += 1
            case .trailerLineStart:
                if byte == UInt8(ascii: "\n") {
                    state = .done
                } else if byte != UInt8(ascii: "\r") {
                    state = .trailerLine
                }
                index += 1
            case .trailerLine:
                if byte == UInt8(ascii: "\n") { state = .trailerLineStart }
                index += 1
            case .done:
                return index
            }
        }
        return index
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
