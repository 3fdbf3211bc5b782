import NIOCore

/// Splits a newline-delimited body (NDJSON, one JSON value a line) into lines as its bytes arrive, for a
/// publish request whose body stays open while events are produced.
///
/// Guarantees: lines are returned in order, as soon as their `\n` arrives, without the `\n` (and without a
/// `\r` before it); empty lines are skipped and not counted. A line that lies within one read is a slice of
/// that read's buffer (no copy); only a line split over reads is gathered. A line longer than `maxLineBytes`
/// is refused as soon as that many bytes are held without a `\n`, so the reader never holds more than
/// `maxLineBytes` of a pending line, whatever the client sends.
public struct NDJSONLineReader: Sendable {
    /// Most bytes one line may have, `\r` excluded.
    public let maxLineBytes: Int
    /// Lines returned so far.
    public private(set) var lineCount = 0
    /// The start of a line whose `\n` has not arrived yet.
    private var pending = ByteBuffer()

    public init(maxLineBytes: Int) {
        precondition(maxLineBytes > 0, "a line must be allowed at least one byte")
        self.maxLineBytes = maxLineBytes
    }

    /// Takes the next bytes of the body and returns the lines they complete, in order.
    public mutating func read(_ bytes: ByteBuffer) throws(PublishBodyError) -> [ByteBuffer] {
        var lines: [ByteBuffer] = []
        try read(bytes, into: &lines)
        return lines
    }

    /// Takes the next bytes of the body and appends the lines they complete to `lines`, in order. When a
    /// line is too long, the lines before it are already in `lines` as it throws.
    public mutating func read(_ bytes: ByteBuffer, into lines: inout [ByteBuffer]) throws(PublishBodyError) {
        var bytes = bytes
        while let newline = bytes.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - bytes.readerIndex
            var line = bytes.readSlice(length: length)!
            bytes.moveReaderIndex(forwardBy: 1)
            if pending.readableBytes > 0 {
                pending.writeBuffer(&line)
                line = pending
                pending = ByteBuffer()
            }
            if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
            try checkLength(line.readableBytes)
            guard line.readableBytes > 0 else { continue }
            lineCount += 1
            lines.append(line)
        }
        try checkLength(pending.readableBytes + bytes.readableBytes, beyond: 1)
        if bytes.readableBytes > 0 { pending.writeBuffer(&bytes) }
    }

    /// Call when the body ended; throws when it stopped in the middle of a line.
    public func finish() throws(PublishBodyError) {
        let rest = pending.readableBytesView
        guard rest.isEmpty || rest == [UInt8(ascii: "\r")] else {
            var error = PublishBodyError(
                .unterminatedLine,
                "line \(lineCount + 1): the body ended after \(rest.count) bytes of it without a newline; end every line with \\n (nothing of that line was stored)"
            )
            error.line = lineCount + 1
            throw error
        }
    }

    /// Throws when a line of `length` bytes is too long; `beyond` allows for a `\r` still to be dropped.
    private func checkLength(_ length: Int, beyond allowance: Int = 0) throws(PublishBodyError) {
        guard length > maxLineBytes + allowance else { return }
        var error = PublishBodyError(
            .lineTooLong,
            "line \(lineCount + 1) is longer than the limit of \(maxLineBytes) bytes; send large payloads by reference (a URL) instead"
        )
        error.line = lineCount + 1
        throw error
    }
}
