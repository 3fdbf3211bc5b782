import Crypto
import Foundation

/// What Herald asks the application's auth hook: may the client whose credentials are `headers` read (or
/// publish to) `topics`?
///
/// Guarantees: `topics` are sorted and unique, so that the same topics asked in another order are the same
/// question; ``key`` is a SHA-256 of the action, the forwarded headers and the topics, so that the cache
/// holds no credential in clear. The client's address is sent to the hook but is not part of the key: a
/// hook that decides on the address must answer `Cache-Control: no-store`.
public struct AuthHookQuestion: Sendable {
    public enum Action: String, Sendable {
        case subscribe
        case publish
    }

    /// The cache and single-flight key of a question.
    public struct Key: Hashable, Sendable {
        let digest: [UInt8]
    }

    public let action: Action
    public let topics: [String]
    /// Whether the stream resumes from a cursor (`Last-Event-ID`): a reconnect, not a first visit.
    public let resuming: Bool
    public let clientAddress: String?
    /// The forwarded request headers, lowercased names, in the order the settings list them.
    public let headers: [(name: String, value: String)]
    public let key: Key

    public init(action: Action, topics: [String], resuming: Bool = false, clientAddress: String?, headers: [(name: String, value: String)]) {
        self.action = action
        self.topics = Array(Set(topics)).sorted()
        self.resuming = resuming
        self.clientAddress = clientAddress
        self.headers = headers.map { (name: $0.name.lowercased(), value: $0.value) }
        var hash = SHA256()
        // why: each part is length-prefixed, so that no two different questions hash the same bytes.
        func feed(_ text: String) {
            let bytes = Array(text.utf8)
            withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { hash.update(bufferPointer: $0) }
            hash.update(data: bytes)
        }
        feed(action.rawValue)
        for (name, value) in self.headers {
            feed(name)
            feed(value)
        }
        feed("")
        for topic in self.topics { feed(topic) }
        key = Key(digest: Array(hash.finalize()))
    }

    /// The JSON body of the hook's request: `{"action", "topics", "resuming", "client_address", "headers"}`.
    public var body: Data {
        var headerObject: [String: String] = [:]
        for (name, value) in headers {
            headerObject[name] = headerObject[name].map { "\($0), \(value)" } ?? value
        }
        var object: [String: Any] = ["action": action.rawValue, "topics": topics, "headers": headerObject]
        if action == .subscribe { object["resuming"] = resuming }
        object["client_address"] = clientAddress ?? NSNull()
        // why: strings, arrays of strings, a Bool and NSNull are always valid JSON; the fallback is never taken.
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    }
}
