/// The messages of one publish request, and whether the body was a single object or a batch.
///
/// The HTTP layer replies `{"id":…}` to ``single(_:)`` and `{"ids":[…]}` to ``batch(_:)``, in the order of
/// ``messages``. A batch is never empty.
public enum PublishBatch: Sendable, Equatable {
    /// The body was one JSON object, or a form.
    case single(PublishMessage)
    /// The body was a non-empty JSON array of objects, kept in order.
    case batch([PublishMessage])

    /// The messages in body order: one for ``single(_:)``.
    public var messages: [PublishMessage] {
        switch self {
        case .single(let message): [message]
        case .batch(let messages): messages
        }
    }

    /// True when the body was an array (even of one item), so the reply carries `ids`.
    public var isBatch: Bool {
        if case .batch = self { return true }
        return false
    }
}
