/// One message to publish, as read from a publish request body.
///
/// Guarantees: `topic` and `event` are exactly the strings the publisher sent (decoded, not validated: the
/// broker core checks topic length and characters and event CR/LF/NUL); `data` is the text to deliver in
/// the SSE `data:` lines: a JSON string's decoded text as-is, or any other JSON value's compact text
/// (``JSONValue/compactText``), or a form field's decoded value.
public struct PublishMessage: Sendable, Equatable {
    public var topic: String
    /// The SSE event type, or `nil` for the default (`message`).
    public var event: String?
    public var data: String
    /// The publisher's idempotency key for this message, not validated here.
    public var idempotencyKey: String?

    public init(topic: String, event: String? = nil, data: String, idempotencyKey: String? = nil) {
        self.topic = topic
        self.event = event
        self.data = data
        self.idempotencyKey = idempotencyKey
    }
}
