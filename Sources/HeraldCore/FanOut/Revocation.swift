import Foundation
import NIOCore

/// Which streams to end at once on every node: those of a user (as the auth hook named them) and those that
/// follow any of the topics. Each ends with a `herald.revoked` event (`StreamSession.revoke(message:)`).
///
/// Encoded for the backend's control channel as `{"user": …, "topics": […]}` (either may be absent).
public struct Revocation: Sendable, Equatable {
    public var user: String?
    public var topics: Set<Topic>

    public init(user: String?, topics: Set<Topic>) {
        self.user = user
        self.topics = topics
    }

    /// Whether a stream of `user` on `topics` is revoked.
    public func matches(user: String?, topics: [Topic]) -> Bool {
        if let revoked = self.user, revoked == user { return true }
        return !self.topics.isEmpty && topics.contains { self.topics.contains($0) }
    }

    /// The JSON a node sends to the others.
    public var json: String {
        var members: [String] = []
        if let user { members.append("\"user\":\(JSONText.quoted(user))") }
        members.append("\"topics\":[" + topics.map(\.name).sorted().map(JSONText.quoted).joined(separator: ",") + "]")
        return "{" + members.joined(separator: ",") + "}"
    }

    /// Reads `json` as another node sent it; nil for anything else (a message is dropped, never guessed at).
    public init?(json: ByteBuffer) {
        struct Body: Decodable {
            var user: String?
            var topics: [String]?
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(json.readableBytesView)),
              let topics = try? (body.topics ?? []).map(Topic.init)
        else { return nil }
        self.init(user: body.user, topics: Set(topics))
    }
}
