import Foundation

/// One event to publish: its topic, its data, and optionally its SSE event type and idempotency key.
public struct Publication: Sendable, Equatable {
    /// What a subscriber's `data` will be.
    public enum Payload: Sendable, Equatable {
        /// Text, delivered as it is.
        case text(String)
        /// A JSON value (object, array, number…) as JSON text; delivered as its compact JSON text.
        case json(String)
    }

    public var topic: String
    public var payload: Payload
    /// The SSE `event:` name (`addEventListener(type, …)` in a browser); nil for `message`.
    public var type: String?
    /// Makes a retry store the event once (within the server's `--idempotency-window`); nil lets ``Herald``
    /// make one for each call, which covers its own retries.
    public var idempotencyKey: String?

    public init(topic: String, text: String, type: String? = nil, idempotencyKey: String? = nil) {
        self.init(topic: topic, payload: .text(text), type: type, idempotencyKey: idempotencyKey)
    }

    public init(topic: String, json: String, type: String? = nil, idempotencyKey: String? = nil) {
        self.init(topic: topic, payload: .json(json), type: type, idempotencyKey: idempotencyKey)
    }

    public init(topic: String, payload: Payload, type: String? = nil, idempotencyKey: String? = nil) {
        self.topic = topic
        self.payload = payload
        self.type = type
        self.idempotencyKey = idempotencyKey
    }

    /// The event as a JSON object of the publish API, with `key` as its idempotency key unless it has its own.
    func jsonObject(idempotencyKey key: String) -> String {
        jsonObject(includingTopic: true, idempotencyKey: idempotencyKey ?? key)
    }

    /// The event as a JSON object: without `topic` unless `includingTopic` (a stream's lines may leave it to
    /// the request's `?topic=`), and with `idempotencyKey` when there is one.
    func jsonObject(includingTopic: Bool, idempotencyKey key: String?) -> String {
        var object = "{"
        if includingTopic { object += "\"topic\":\(JSONString.quoted(topic))," }
        object += "\"data\":"
        switch payload {
        case .text(let text): object += JSONString.quoted(text)
        case .json(let json): object += json
        }
        if let type { object += ",\"event\":\(JSONString.quoted(type))" }
        if let key { object += ",\"idempotencyKey\":\(JSONString.quoted(key))" }
        object += "}"
        return object
    }
}

/// JSON string literals, from Foundation's encoder (a string always encodes).
enum JSONString {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return encoder
    }()

    static func quoted(_ text: String) -> String {
        String(decoding: (try? encoder.encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
