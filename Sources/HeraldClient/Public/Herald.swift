import AsyncHTTPClient

/// A client of a Herald server for applications: publishes events and subscribes to topics.
///
/// ```swift
/// let herald = Herald(server: "https://events.example.com", token: publisherToken)
/// let id = try await herald.publish(Publication(topic: "orders/42", json: #"{"status":"paid"}"#, type: "order.updated"))
///
/// for try await item in herald.subscribe(to: ["orders/42"]) {
///     switch item {
///     case .event(let event): print(event.type, event.data)
///     case .reset(let topics): reloadState(topics)      // history was lost for these topics: said, never hidden
///     case .disconnected: break                          // it reconnects and resumes by itself
///     }
/// }
/// ```
///
/// Publishing retries a `503` (node draining, Redis briefly away) and a connection that failed, after the
/// server's `Retry-After`, and sends every event with an idempotency key so that a retry stores it once.
/// A subscription reconnects by itself, as a browser's `EventSource` does, and resumes from the last event id it
/// received: no event is lost or repeated across drops, and history that could not be replayed is announced.
/// It runs on AsyncHTTPClient, so `https`, proxies and redirects work as they do for any Swift server client.
public struct Herald: Sendable {
    public struct Configuration: Sendable {
        /// The server's base URL, such as `http://127.0.0.1:8080` or `https://events.example.com`.
        public var server: String
        /// A JWT or API key, sent as `Authorization: Bearer`; nil sends none.
        public var token: String?
        /// How many times a publish is tried before it fails with `unavailable`.
        public var publishAttempts = 5
        /// Time limit of one publish request.
        public var requestTimeout: Duration = .seconds(10)
        /// The first delay before a subscription reconnects, until the server sends its own `retry:`.
        public var reconnectDelay: Duration = .seconds(2)
        /// The longest delay between reconnection attempts, however many failed in a row.
        public var maximumReconnectDelay: Duration = .seconds(30)
        /// A stream that brings nothing, not even a heartbeat, for this long is taken as dead and reconnected.
        /// why: three of Herald's default 15 s heartbeats; a peer that vanished sends no FIN to notice.
        public var idleTimeout: Duration = .seconds(45)

        public init(server: String, token: String? = nil) {
            self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
            self.token = token
        }
    }

    public let configuration: Configuration
    let httpClient: HTTPClient

    /// A client of `configuration.server`, sending requests through `httpClient` (the shared one by default).
    public init(configuration: Configuration, httpClient: HTTPClient = .shared) {
        self.configuration = configuration
        self.httpClient = httpClient
    }

    /// A client of `server` (a base URL), authenticating with `token` when given.
    public init(server: String, token: String? = nil) {
        self.init(configuration: Configuration(server: server, token: token))
    }

    /// Headers every request carries: the credential, when there is one.
    var authorization: [(String, String)] {
        configuration.token.map { [("authorization", "Bearer \($0)")] } ?? []
    }
}
