/// What all the event streams of one HTTP/2 connection may hold for a client that stops reading.
///
/// Each stream counts the bytes it writes while it is unwritable (its flow-control window spent, or the
/// connection's socket full) and releases them once it drains. A stream that would take the connection past
/// `limit` is reset, alone: so a connection of `--h2-max-streams` streams holds about `limit` plus each
/// stream's small buffer, not `--slow-client-buffer` for every stream. Used on the connection's event loop only.
final class HTTP2ConnectionBudget {
    let limit: Int
    private(set) var held = 0

    init(limit: Int) {
        self.limit = limit
    }

    func isExceeded(adding count: Int) -> Bool {
        held + count > limit
    }

    func hold(_ count: Int) {
        held += count
    }

    func release(_ count: Int) {
        held -= count
    }
}
