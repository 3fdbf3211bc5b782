import NIOCore

/// Writes the text/event-stream format (WHATWG HTML §9.2).
///
/// Guarantees: every line ends with LF; `data` is split on CR, LF and CRLF into one `data:` line per line, so
/// a payload can never start a new field or event; `event:` and `id:` values must not contain CR, LF or NUL
/// (checked with a precondition here, validated with a clear error at the edges); every event ends with a blank line.
public enum SSEEncoder {
    /// Appends the `event:` (when set) and `data:` lines of an event, without its `id:` and final blank line.
    public static func appendFields(type: String?, data: ByteBuffer, to buffer: inout ByteBuffer) {
        if let type {
            precondition(isSingleLine(type), "event type must not contain CR, LF or NUL")
            buffer.writeStaticString("event: ")
            buffer.writeString(type)
            buffer.writeStaticString("\n")
        }
        data.withUnsafeReadableBytes { bytes in
            var lineStart = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else {
                    index += 1
                    continue
                }
                appendDataLine(UnsafeRawBufferPointer(rebasing: bytes[lineStart..<index]), to: &buffer)
                if byte == UInt8(ascii: "\r"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") {
                    index += 1
                }
                index += 1
                lineStart = index
            }
            appendDataLine(UnsafeRawBufferPointer(rebasing: bytes[lineStart..<bytes.count]), to: &buffer)
        }
    }

    /// Appends `id: <id>` and the blank line that dispatches the event.
    ///
    /// Written alone (without data lines) it updates the browser's last event id without dispatching an
    /// event: Herald uses that to give a fresh connection a resume point before any event arrives.
    public static func appendIDAndEnd(_ id: String, to buffer: inout ByteBuffer) {
        precondition(isSingleLine(id), "event id must not contain CR, LF or NUL")
        buffer.writeStaticString("id: ")
        buffer.writeString(id)
        buffer.writeStaticString("\n\n")
    }

    /// Appends a complete event: fields, `id:` and the blank line.
    public static func appendEvent(type: String?, data: ByteBuffer, id: String, to buffer: inout ByteBuffer) {
        appendFields(type: type, data: data, to: &buffer)
        appendIDAndEnd(id, to: &buffer)
    }

    /// Appends a comment block (`: text` and a blank line); clients ignore it, proxies see traffic.
    public static func appendComment(_ text: String, to buffer: inout ByteBuffer) {
        precondition(isSingleLine(text), "comment must not contain CR, LF or NUL")
        buffer.writeStaticString(":")
        if !text.isEmpty {
            buffer.writeStaticString(" ")
            buffer.writeString(text)
        }
        buffer.writeStaticString("\n\n")
    }

    /// Appends `retry: <milliseconds>`: the delay a browser waits before reconnecting.
    public static func appendRetry(milliseconds: Int, to buffer: inout ByteBuffer) {
        buffer.writeStaticString("retry: ")
        buffer.writeString(String(milliseconds))
        buffer.writeStaticString("\n\n")
    }

    /// True when `text` contains no CR, LF or NUL.
    public static func isSingleLine(_ text: String) -> Bool {
        !text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x00 })
    }

    private static func appendDataLine(_ line: UnsafeRawBufferPointer, to buffer: inout ByteBuffer) {
        buffer.writeStaticString("data: ")
        buffer.writeBytes(line)
        buffer.writeStaticString("\n")
    }
}
