/// How the `tokens` load feeds each generation's tokens to the server (`herald bench --feed`).
package enum TokenFeed: String, Sendable, Codable, CaseIterable {
    /// One `POST` per token over a keep-alive connection of the generation's own, one request in flight:
    /// what a backend does with an ordinary HTTP client, and nchan's only way.
    case request
    /// One streaming request per generation (Herald's `application/x-ndjson` chunked body): each token is a
    /// chunk of one line, written as soon as it is produced; the answer comes when the body ends.
    case stream
    /// Gathering publishers: each owns many generations, gathers their tokens for up to a window and sends
    /// what it gathered as one JSON array (one request in flight per publisher); Herald only.
    case batch

    /// Whether `server` can be fed this way.
    package func isSupported(by server: BenchServer) -> Bool {
        self == .request || server == .herald
    }
}

/// The `tokens` load: N concurrent generations, each a topic of its own fed `tokensPerSecond` tokens of
/// 4–20 bytes (see ``TokenRequestEncoder``).
package struct TokenLoad: Sendable, Codable {
    package var feed: TokenFeed
    package var generations: Int
    package var tokensPerSecond: Double
    /// `batch` only: the gathering publishers (generation g is gathered by publisher g mod publishers).
    package var publishers: Int
    /// `batch` only: how long a publisher gathers tokens before sending them, in milliseconds.
    package var windowMilliseconds: Double

    package init(feed: TokenFeed, generations: Int, tokensPerSecond: Double, publishers: Int, windowMilliseconds: Double) {
        self.feed = feed
        self.generations = generations
        self.tokensPerSecond = tokensPerSecond
        self.publishers = publishers
        self.windowMilliseconds = windowMilliseconds
    }

    /// The publish connections: one per generation, or the gathering publishers.
    var connections: Int {
        feed == .batch ? min(publishers, generations) : generations
    }

    /// The connection that carries generation `generation`.
    func connection(ofGeneration generation: Int) -> Int {
        generation % connections
    }
}
