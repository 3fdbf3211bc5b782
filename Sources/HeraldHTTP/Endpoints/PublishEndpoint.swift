import HeraldCore
import HeraldWire
import NIOCore
import NIOHTTP1

/// A validated `POST /publish`: the events to store, and whether the body was a batch (array).
struct PublishRequest: Sendable {
    var events: [NewEvent]
    var isBatch: Bool

    /// The reply body: `{"id":"…"}`, or `{"ids":[…]}` for a batch. Each id is the cursor a subscriber of
    /// that topic alone sees for the event, usable as `lastEventId` to resume right after it.
    func reply(_ positions: [TopicPosition]) -> String {
        var reply = isBatch ? "{\"ids\":[" : "{\"id\":"
        reply.reserveCapacity(reply.utf8.count + positions.count * 24 + 2)
        for (index, (event, position)) in zip(events, positions).enumerated() {
            if index > 0 { reply += "," }
            // why: a cursor's text is base64url, which needs no JSON escaping.
            reply += "\""
            reply += Cursor(topics: [event.topic], positions: [position]).encoded
            reply += "\""
        }
        if positions.isEmpty, !isBatch { reply += "null" }
        reply += isBatch ? "]}" : "}"
        return reply
    }
}

/// Parsing and validation of publish bodies: JSON (one object or a batch array) or an HTML form.
enum PublishEndpoint {
    static func parse(head: HTTPRequestHead, body: ByteBuffer, configuration: EdgeConfiguration) throws -> PublishRequest {
        let contentType = head.headers.first(name: "content-type")
        // why: the common spelling skips the split and the lowercased copy.
        let mediaType = contentType == "application/json" ? contentType : contentType?
            .split(separator: ";", maxSplits: 1).first?
            .trimmingSpaces.lowercased()
        let defaultTopic = try queryTopic(of: head)
        let batch: PublishBatch
        switch mediaType {
        case "application/json":
            batch = try PublishBodyParser.parseJSON(body, maxItems: configuration.maxBatchSize, defaultTopic: defaultTopic)
        case "application/x-www-form-urlencoded":
            batch = try PublishBodyParser.parseForm(body, defaultTopic: defaultTopic)
        case let other:
            let given = other.map { "Content-Type \($0) is not supported" } ?? "Content-Type is missing"
            throw EdgeError(.unsupportedMediaType, "\(given); send application/json, application/x-ndjson (a stream of events, one a line) or application/x-www-form-urlencoded")
        }
        // why: a header names the whole request; a batch's items need distinct keys, so item i gets `<key>:<i>`.
        let headerKey = head.headers.first(name: "idempotency-key")
        // why: the header itself must be a valid key; a batch would otherwise turn an empty one into ":0", ":1"….
        if let headerKey { try IdempotencyKey.validate(headerKey) }
        var events: [NewEvent] = []
        events.reserveCapacity(batch.messages.count)
        for (index, message) in batch.messages.enumerated() {
            var message = message
            if let headerKey {
                guard message.idempotencyKey == nil else {
                    throw HeraldError(.invalidIdempotencyKey, "both the Idempotency-Key header and an idempotencyKey field are given; use one of them")
                }
                message.idempotencyKey = batch.isBatch ? "\(headerKey):\(index)" : headerKey
            }
            do {
                events.append(try event(from: message, maxEventSize: configuration.maxEventSize))
            } catch let error as EdgeError {
                guard batch.isBatch else { throw error }
                throw EdgeError(error.code, "item \(index): \(error.message); nothing in the batch was stored")
            } catch let error as HeraldError {
                guard batch.isBatch else { throw error }
                throw HeraldError(error.code, "item \(index): \(error.message); nothing in the batch was stored")
            }
        }
        return PublishRequest(events: events, isBatch: batch.isBatch)
    }

    /// The topic named by `?topic=`, for the events of the body that name none; nil without a query. Anything
    /// else in the query is refused (`400 invalid_query`), as is an invalid topic.
    static func queryTopic(of head: HTTPRequestHead) throws -> String? {
        guard let query = head.uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        let fields: [FormDecoder.Field]
        do {
            fields = try FormDecoder.decodeQuery(query)
        } catch {
            throw EdgeError(.invalidQuery, "the query string is not valid: \(error)")
        }
        var topic: String?
        for field in fields {
            guard field.name == "topic", topic == nil else {
                throw EdgeError(.invalidQuery, "the query of a publish may name one topic (?topic=chat/42) and nothing else; found \(field.name)")
            }
            topic = try Topic(field.value).name
        }
        return topic
    }

    /// The event `message` asks for, once its topic, event type, data and key are valid and its data within
    /// `maxEventSize` bytes; throws `HeraldError` or `EdgeError` (`event_too_large`) otherwise.
    static func event(from message: PublishMessage, maxEventSize: Int) throws -> NewEvent {
        guard message.data.utf8.count <= maxEventSize else {
            throw EdgeError(.eventTooLarge, "data is \(message.data.utf8.count) bytes, more than the limit of \(maxEventSize); send large payloads by reference (a URL) instead")
        }
        let topic = try Topic(message.topic)
        if let type = message.event { try EventType.validate(type) }
        guard !message.data.isEmpty else {
            throw HeraldError(.invalidData, "data is empty; EventSource does not dispatch events without data, send at least one character")
        }
        if let key = message.idempotencyKey { try IdempotencyKey.validate(key) }
        return NewEvent(topic: topic, type: message.event, data: ByteBuffer(string: message.data), idempotencyKey: message.idempotencyKey)
    }
}
