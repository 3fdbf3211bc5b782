import HeraldClient

/// Splits the bytes a keep-alive publish connection receives into responses and reports each one's
/// status; bodies are skipped.
///
/// Guarantees: responses are reported in order, once each, when their last byte has arrived, whatever
/// the split of the input; a response framed by `Content-Length` or chunked is supported; one whose body
/// runs until the connection closes, or bytes that are not HTTP/1.x, throw (the connection cannot be
/// reused for the next request).
struct PublishResponseReader: Sendable {
    /// The response framing could not be followed.
    struct Unusable: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    private enum State: Sendable {
        case head
        case length(status: Int, remaining: Int)
        case chunked(status: Int, ChunkedBodyDecoder)
    }

    private var headReader = HTTPResponseHeadReader()
    private var state = State.head

    /// Reads `bytes`, calling `response` with the status of each response they complete.
    mutating func read(_ bytes: UnsafeRawBufferPointer, _ response: (Int) -> Void) throws {
        var rest = bytes
        while true {
            switch state {
            case .head:
                guard !rest.isEmpty, let (head, consumed) = try headReader.read(rest) else { return }
                rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
                switch head.framing {
                case .contentLength(let length): state = .length(status: head.status, remaining: length)
                case .chunked: state = .chunked(status: head.status, ChunkedBodyDecoder())
                case .untilClose:
                    throw Unusable(description: "a \(head.status) response without Content-Length on a keep-alive connection")
                }
            case .length(let status, let remaining):
                let count = min(remaining, rest.count)
                rest = UnsafeRawBufferPointer(rebasing: rest[count...])
                guard count == remaining else {
                    state = .length(status: status, remaining: remaining - count)
                    return
                }
                state = .head
                response(status)
            case .chunked(let status, var decoder):
                let consumed = try decoder.decode(rest) { _ in }
                rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
                guard decoder.isDone else {
                    state = .chunked(status: status, decoder)
                    return
                }
                state = .head
                response(status)
            }
        }
    }
}
