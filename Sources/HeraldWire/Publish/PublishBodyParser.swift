import NIOCore

/// Reads the messages of a publish request from its body, JSON or form-encoded.
///
/// JSON bodies are one object `{"topic": "orders/42", "data": <any JSON>, "event": "order.updated"}` or a
/// non-empty array of such objects. Guarantees: the whole body is checked before anything is returned, so a
/// batch is published entirely or not at all; errors name the failing item (``PublishBodyError/itemIndex``)
/// and field; topic and event *content* is not checked here (the broker core does that), only their JSON
/// types. `data` may be any JSON value: a string is used as its decoded text, anything else as its compact
/// JSON text (key order and number spelling kept, see ``JSONValue/compactText`` for string escapes).
public enum PublishBodyParser {
    /// The largest batch ``parseJSON(_:maxItems:)`` accepts unless told otherwise.
    // why: one request must not hold the broker for long; 1000 small messages publish in milliseconds.
    public static let defaultMaxItems = 1000

    /// Parses a JSON publish body.
    ///
    /// - `topic`: required, a string.
    /// - `data`: required, any JSON value (`null` becomes the text `null`).
    /// - `event`, or its alias `type`: optional, a string or `null`; giving both is an error.
    /// - `idempotencyKey`: optional, a string.
    /// - any other key is an error naming the key, with a "did you mean" hint for near misses.
    /// - `defaultTopic`: the topic of objects without one (the request's `?topic=`); an object's own wins.
    public static func parseJSON(_ body: ByteBuffer, maxItems: Int = defaultMaxItems, defaultTopic: String? = nil) throws(PublishBodyError) -> PublishBatch {
        let document: JSONValue
        do {
            document = try JSONParser.parse(body)
        } catch {
            throw PublishBodyError(.malformedJSON, "body is not valid JSON: \(error.message)", underlying: error)
        }
        switch document {
        case .object(let members):
            return .single(try message(from: members, itemIndex: nil, defaultTopic: defaultTopic))
        case .array(let items):
            guard !items.isEmpty else {
                throw PublishBodyError(.emptyBatch, "body is an empty array; send at least one {\"topic\":…,\"data\":…} object")
            }
            guard items.count <= maxItems else {
                throw PublishBodyError(
                    .batchTooLarge,
                    "batch has \(items.count) messages, more than the limit of \(maxItems); split it into smaller requests"
                )
            }
            var messages: [PublishMessage] = []
            messages.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                guard case .object(let members) = item else {
                    throw PublishBodyError(
                        .invalidBody, "each batch item must be an object like {\"topic\":…,\"data\":…}, found \(item.kindName)",
                        itemIndex: index
                    )
                }
                messages.append(try message(from: members, itemIndex: index, defaultTopic: defaultTopic))
            }
            return .batch(messages)
        default:
            throw PublishBodyError(
                .invalidBody,
                "body must be a JSON object {\"topic\":…,\"data\":…} or a non-empty array of them, found \(document.kindName)"
            )
        }
    }

    static func message(from members: [JSONValue.Member], itemIndex: Int?, defaultTopic: String? = nil) throws(PublishBodyError) -> PublishMessage {
        var topic: String?
        var data: String?
        var event: String?
        var eventField: PublishField?
        var idempotencyKey: String?
        for member in members {
            guard let field = PublishField(rawValue: member.key) else {
                throw unknownField(member.key, itemIndex: itemIndex)
            }
            switch field {
            case .topic:
                topic = try string(member.value, of: field, itemIndex: itemIndex)
            case .idempotencyKey:
                idempotencyKey = try string(member.value, of: field, itemIndex: itemIndex)
            case .data:
                if case .string(let text) = member.value {
                    data = text
                } else {
                    data = member.value.compactText
                }
            case .event, .type:
                if let eventField {
                    throw conflictingEventFields(itemIndex: itemIndex, field: eventField == .event ? field : eventField)
                }
                eventField = field
                switch member.value {
                case .string(let text): event = text
                case .null: event = nil
                default:
                    throw PublishBodyError(
                        .invalidField, "field \"\(field.rawValue)\" must be a string or null, found \(member.value.kindName)",
                        itemIndex: itemIndex, field: field.rawValue
                    )
                }
            }
        }
        guard let topic = topic ?? defaultTopic else { throw missingField(.topic, itemIndex: itemIndex, hint: "\"topic\": \"orders/42\"") }
        guard let data else { throw missingField(.data, itemIndex: itemIndex, hint: "\"data\": <any JSON value>") }
        return PublishMessage(topic: topic, event: event, data: data, idempotencyKey: idempotencyKey)
    }

    private static func string(_ value: JSONValue, of field: PublishField, itemIndex: Int?) throws(PublishBodyError) -> String {
        guard case .string(let text) = value else {
            throw PublishBodyError(
                .invalidField, "field \"\(field.rawValue)\" must be a string, found \(value.kindName)",
                itemIndex: itemIndex, field: field.rawValue
            )
        }
        return text
    }

    static func unknownField(_ name: String, itemIndex: Int?) -> PublishBodyError {
        var problem = "unknown field \(JSONValue.string(name).compactText)"
        if let suggestion = PublishField.closest(to: name) {
            problem += " (did you mean \"\(suggestion.rawValue)\"?)"
        }
        problem += "; allowed fields are \(PublishField.allowedList)"
        return PublishBodyError(.unknownField, problem, itemIndex: itemIndex, field: name)
    }

    static func missingField(_ field: PublishField, itemIndex: Int?, hint: String) -> PublishBodyError {
        PublishBodyError(
            .missingField, "field \"\(field.rawValue)\" is missing; add \(hint)", itemIndex: itemIndex, field: field.rawValue
        )
    }

    static func conflictingEventFields(itemIndex: Int?, field: PublishField) -> PublishBodyError {
        PublishBodyError(
            .conflictingFields, "both \"event\" and its alias \"type\" are given; keep only one of them",
            itemIndex: itemIndex, field: field.rawValue
        )
    }
}
