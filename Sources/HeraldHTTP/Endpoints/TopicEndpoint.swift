import HeraldAuth
import HeraldCore
import HeraldWire

/// `GET /topics/{topic}`: what the backend retains of a topic (count, first and last id, epoch) and how many
/// streams subscribe to it on every node. Served on the internal side (the publish port when there is one).
///
/// The topic is the rest of the path, percent-decoded (`orders%2F42` and `orders/42` name the same topic;
/// `+` is a plus). Topics are implicit, so a topic never published to is a 200 with nothing retained.
/// With publisher auth on, the credential must be one that may publish to the topic.
/// `firstId` and `lastId` are the SSE ids a subscriber of that topic alone sees with those events, so either
/// is a `Last-Event-ID` to resume from; both are null when nothing is retained.
enum TopicEndpoint {
    static func answer(_ request: EndpointRequest) async throws -> EndpointResponse {
        let grant = try await authenticate(request)
        let topic = try topic(from: request.parameter)
        try authorize(grant, topic)
        let app = request.app
        let retained = try await app.broker.retainedHistory(of: topic)
        let onThisNode = await app.fanOut.subscriberCount(of: topic)
        let subscribers = try await app.broker.subscriberCount(of: topic, onThisNode: onThisNode)
        return .json(json(topic, retained, subscribers))
    }

    /// The topic named by the path parameter (still percent-encoded as sent).
    static func topic(from parameter: String?) throws(HeraldError) -> Topic {
        let name: String
        do {
            name = try FormDecoder.decodePathSegment(Substring(parameter ?? ""))
        } catch {
            throw HeraldError(.invalidTopic, "the topic in the path is not valid percent-encoding (\(error.message)); percent-encode the topic's UTF-8 bytes, such as orders%2F42 for orders/42")
        }
        guard !name.isEmpty else {
            throw HeraldError(.invalidTopic, "topic is empty; give it in the path, percent-encoded: GET /topics/orders%2F42")
        }
        return try Topic(name)
    }

    /// The publisher's grant when publisher auth is on (nil when it is off).
    private static func authenticate(_ request: EndpointRequest) async throws -> PublisherAuth.Grant? {
        guard let publisher = request.app.configuration.auth.publisher else { return nil }
        let bearer = BearerCredentials.authorizationHeader(request.head.headers)
        guard let bearer, !bearer.isEmpty else {
            throw AuthError(.unauthorized, "reading a topic needs a publisher credential: send Authorization: Bearer <token or API key> that may publish to the topic")
        }
        return try await publisher.authenticate(bearer: bearer)
    }

    private static func authorize(_ grant: PublisherAuth.Grant?, _ topic: Topic) throws(AuthError) {
        do {
            try grant?.authorize([topic])
        } catch {
            throw AuthError(.forbiddenTopic, "the token may not read \(topic): reading a topic needs a token that may publish to it, and its herald.publish claim does not cover it", topic: topic.name)
        }
    }

    /// The JSON body (keys as documented in docs/openapi.yaml, `TopicInfo`).
    static func json(_ topic: Topic, _ retained: RetainedHistory, _ subscribers: SubscriberCount) -> String {
        func id(_ position: TopicPosition?) -> String {
            // why: a cursor's text is base64url, which needs no JSON escaping.
            position.map { "\"" + Cursor(topics: [topic], positions: [$0]).encoded + "\"" } ?? "null"
        }
        let epoch = retained.epoch == 0 ? "null" : "\"\(retained.epoch)\""
        return "{\"topic\":\(JSONText.quoted(topic.name)),\"retained\":\(retained.count),\"firstId\":\(id(retained.first)),"
            + "\"lastId\":\(id(retained.last)),\"epoch\":\(epoch),\"subscribers\":\(subscribers.total),"
            + "\"subscribersOnThisNode\":\(subscribers.onThisNode),\"nodesReporting\":\(subscribers.nodesReporting)}"
    }
}
