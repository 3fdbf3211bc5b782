import NIOCore

extension PublishBodyParser {
    /// Parses an `application/x-www-form-urlencoded` publish body: always one message.
    ///
    /// - `topic`: required, exactly once.
    /// - `data`: required, exactly once; may be empty (`data=`).
    /// - `event`, or its alias `type`: optional, at most once; an empty value means "no event type", because
    ///   an HTML form submits its blank inputs as empty fields.
    /// - `idempotencyKey`: optional, at most once.
    /// - any other field is an error naming it, with a "did you mean" hint for near misses.
    /// - `defaultTopic`: the topic when the form has no `topic` field (the request's `?topic=`).
    public static func parseForm(_ body: ByteBuffer, defaultTopic: String? = nil) throws(PublishBodyError) -> PublishBatch {
        let fields: [FormDecoder.Field]
        do {
            fields = try FormDecoder.decode(body)
        } catch {
            throw PublishBodyError(.malformedForm, "body is not valid form encoding: \(error.message)", underlying: error)
        }
        var topic: String?
        var data: String?
        var event: String?
        var eventField: PublishField?
        var idempotencyKey: String?
        for (name, value) in fields {
            guard let field = PublishField(rawValue: name) else {
                throw unknownField(name, itemIndex: nil)
            }
            switch field {
            case .topic:
                guard topic == nil else {
                    throw repeatedField(field, advice: "publish to one topic per form, or send a JSON array for several")
                }
                topic = value
            case .data:
                guard data == nil else {
                    throw repeatedField(field, advice: "send one data field; it may contain newlines (%0A)")
                }
                data = value
            case .idempotencyKey:
                guard idempotencyKey == nil else { throw repeatedField(field, advice: "send one idempotency key per message") }
                idempotencyKey = value
            case .event, .type:
                if let eventField {
                    if eventField == field { throw repeatedField(field, advice: "send at most one event type") }
                    throw conflictingEventFields(itemIndex: nil, field: eventField == .event ? field : eventField)
                }
                eventField = field
                event = value.isEmpty ? nil : value
            }
        }
        guard let topic = topic ?? defaultTopic else { throw missingField(.topic, itemIndex: nil, hint: "topic=orders%2F42") }
        guard let data else { throw missingField(.data, itemIndex: nil, hint: "data=… (data= for an empty message)") }
        return .single(PublishMessage(topic: topic, event: event, data: data, idempotencyKey: idempotencyKey))
    }

    private static func repeatedField(_ field: PublishField, advice: String) -> PublishBodyError {
        PublishBodyError(.invalidField, "field \"\(field.rawValue)\" is given more than once; \(advice)", field: field.rawValue)
    }
}
