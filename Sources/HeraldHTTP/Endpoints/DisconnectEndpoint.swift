import HeraldAuth
import HeraldCore
import HeraldWire
import NIOCore
import NIOHTTP1

/// `POST /disconnect`: ends, on every node, the streams of a user (as the subscribe hook named them) and the
/// streams of topics, each with a `herald.revoked` event before it closes; for a logout or a ban.
///
/// Body: `{"user": "…"}`, `{"topics": ["…"]}` or both (JSON, nothing else). With publisher auth on, it needs
/// the API key or a publisher JWT: one whose `herald.publish` claim covers every named topic, and `*` for a
/// user (a user's streams may be on any topic). The answer says what was sent; the streams end on each node
/// as the revocation arrives (the backend's control channel: within a round trip to Redis).
enum DisconnectEndpoint {
    static func answer(_ request: EndpointRequest) async throws -> EndpointResponse {
        let revocation = try parse(request.head, request.body, maxTopics: request.app.configuration.maxTopicsPerConnection)
        try await authorize(revocation, request)
        try await request.app.broker.broadcast(revocation)
        return .json("{\"revoked\":\(revocation.json)}")
    }

    static func parse(_ head: HTTPRequestHead, _ body: ByteBuffer, maxTopics: Int) throws -> Revocation {
        let contentType = head.headers.first(name: "content-type")?.split(separator: ";").first?.trimmingSpaces.lowercased()
        guard contentType == "application/json" else {
            let given = contentType.map { "Content-Type \($0) is not supported" } ?? "Content-Type is missing"
            throw EdgeError(.unsupportedMediaType, "\(given); send application/json: {\"user\": \"…\"} or {\"topics\": [\"…\"]}")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw PublishBodyError(.malformedJSON, error.message, underlying: error)
        }
        guard case .object(let members) = value else {
            throw PublishBodyError(.invalidBody, "the body must be a JSON object: {\"user\": \"…\"} or {\"topics\": [\"…\"]}")
        }
        var user: String?
        var topics: Set<Topic> = []
        for member in members {
            switch (member.key, member.value) {
            case ("user", .string(let name)):
                guard !name.isEmpty, name.utf8.count <= 256 else {
                    throw PublishBodyError(.invalidField, "user must be 1 to 256 bytes", field: "user")
                }
                user = name
            case ("topics", .array(let items)):
                guard items.count <= maxTopics else {
                    throw PublishBodyError(.invalidField, "topics lists \(items.count); at most \(maxTopics) a request", field: "topics")
                }
                for item in items {
                    guard case .string(let name) = item else {
                        throw PublishBodyError(.invalidField, "topics must be an array of topic names (strings)", field: "topics")
                    }
                    topics.insert(try Topic(name))
                }
            case ("user", _):
                throw PublishBodyError(.invalidField, "user must be a string", field: "user")
            case ("topics", _):
                throw PublishBodyError(.invalidField, "topics must be an array of topic names", field: "topics")
            default:
                throw PublishBodyError(.unknownField, "unknown field \(member.key); a disconnect names user and/or topics", field: member.key)
            }
        }
        guard user != nil || !topics.isEmpty else {
            throw PublishBodyError(.missingField, "name a user, topics or both: {\"user\": \"…\"} or {\"topics\": [\"…\"]}")
        }
        return Revocation(user: user, topics: topics)
    }

    /// With publisher auth on: the API key, or a JWT covering every named topic (and every topic for a user).
    private static func authorize(_ revocation: Revocation, _ request: EndpointRequest) async throws {
        let configuration = request.app.configuration
        guard let publisher = configuration.auth.publisher else {
            // why: with a publish hook alone, the hook decides publishes, not who may cut users off.
            guard configuration.publishHook == nil else {
                throw AuthError(.forbidden, "POST /disconnect needs a publisher credential (--publisher-api-key or --publisher-jwt-key); the publish hook is not asked")
            }
            return
        }
        let grant = try await publisher.authenticate(bearer: BearerCredentials.authorizationHeader(request.head.headers))
        if revocation.user != nil, !grant.coversEveryTopic {
            throw AuthError(.forbidden, "disconnecting a user needs the API key or a token whose herald.publish claim is *: a user's streams may read any topic")
        }
        try grant.authorize(revocation.topics.sorted())
    }
}
