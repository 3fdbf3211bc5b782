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
        let batch: PublishBatch
        switch mediaType {
        case "application/json":
            batch = try PublishBodyParser.parseJSON(body, maxItems: configuration.maxBatchSize)
        case "application/x-www-form-urlencoded":
            batch = try PublishBodyParser.parseForm(body)
        case let other:
            let given = other.map { "Content-Type \($0) is not supported" } ?? "Content-Type is missing"
            throw EdgeError(.unsupportedMediaType, "\(given); send application/json or application/x-www-form-urlencoded")
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
            guard message.data.utf8.count <= configuration.maxEventSize else {
                let item = batch.isBatch ? "item \(index): " : ""
                throw EdgeError(.eventTooLarge, "\(item)data is \(message.data.utf8.count) bytes, more than the limit of \(configuration.maxEventSize); send large payloads by reference (a URL) instead\(batch.isBatch ? "; nothing in the batch was stored" : "")")
            }
            do {
                events.append(try validate(message))
            } catch {
                guard batch.isBatch else { throw error }
                throw HeraldError(error.code, "item \(index): \(error.message); nothing in the batch was stored")
            }
        }
        return PublishRequest(events: events, isBatch: batch.isBatch)
    }

    private static func validate(_ message: PublishMessage) throws(HeraldError) -> NewEvent {
        let topic = try Topic(message.topic)
        if let type = message.event { try EventType.validate(type) }
        guard !message.data.isEmpty else {
            throw HeraldError(.invalidData, "data is empty; EventSource does not dispatch events without data, send at least one character")
        }
        if let key = message.idempotencyKey { try IdempotencyKey.validate(key) }
        return NewEvent(topic: topic, type: message.event, data: ByteBuffer(string: message.data), idempotencyKey: message.idempotencyKey)
    }
}
