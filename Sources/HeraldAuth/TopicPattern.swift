import HeraldCore

/// A set of topics named in a token claim or in `--public-topics`: an exact topic name, a prefix ending in
/// `/*` (every topic under that prefix), or a lone `*` (every topic).
///
/// `orders/*` matches `orders/42` and `orders/42/items`, not `orders` itself; `news` matches only `news`.
/// Matching is by bytes, with no other wildcard: `*` in the middle of a pattern is an ordinary character.
public struct TopicPattern: Hashable, Sendable, CustomStringConvertible {
    private enum Kind: Hashable, Sendable {
        case exact(String)
        /// The prefix including its trailing `/`.
        case prefix(String)
        case everything
    }

    /// `*`: every topic.
    public static let everything = TopicPattern(kind: .everything)

    private let kind: Kind

    private init(kind: Kind) {
        self.kind = kind
    }

    /// Parses one pattern. Empty patterns and a bare `/*` are refused.
    public init(_ text: String) throws(AuthError) {
        if text == "*" {
            kind = .everything
        } else if text.hasSuffix("/*") {
            let prefix = String(text.dropLast())
            guard prefix.count > 1 else {
                throw AuthError(.invalidConfiguration, "the topic pattern \"\(text)\" has an empty prefix; write e.g. orders/* or * for every topic")
            }
            kind = .prefix(prefix)
        } else {
            guard !text.isEmpty else {
                throw AuthError(.invalidConfiguration, "a topic pattern is empty; write a topic name, a prefix like orders/*, or *")
            }
            kind = .exact(text)
        }
    }

    /// Parses a comma-separated list (`news/*,status`); spaces around items are ignored.
    public static func list(_ text: String) throws(AuthError) -> [TopicPattern] {
        var patterns: [TopicPattern] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = item.trimmingCharacters(in: " ")
            patterns.append(try TopicPattern(trimmed))
        }
        return patterns
    }

    /// True if `topic` is in this set.
    public func matches(_ topic: Topic) -> Bool {
        switch kind {
        case .everything: true
        case .exact(let name): topic.name == name
        case .prefix(let prefix): topic.name.count > prefix.count && topic.name.hasPrefix(prefix)
        }
    }

    public var description: String {
        switch kind {
        case .everything: "*"
        case .exact(let name): name
        case .prefix(let prefix): prefix + "*"
        }
    }
}

extension Array where Element == TopicPattern {
    /// True if any pattern matches `topic`.
    public func covers(_ topic: Topic) -> Bool {
        contains { $0.matches(topic) }
    }
}

private extension Substring {
    func trimmingCharacters(in character: Character) -> String {
        String(drop(while: { $0 == character }).reversed().drop(while: { $0 == character }).reversed())
    }
}
