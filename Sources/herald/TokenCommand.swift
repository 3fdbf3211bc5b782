import ArgumentParser
import HeraldAuth

/// `herald token`: mints a development JWT with the HMAC secret the node is configured with.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a JWT for development, signed with the node's HMAC secret.",
        discussion: """
            herald token --subscribe 'orders/*' --ttl 1h          (signed with HERALD_SUBSCRIBER_JWT_KEY)
            herald token --publish 'orders/*'                     (signed with HERALD_PUBLISHER_JWT_KEY)
            The secret is --key, else the key variable of what the token grants. In production, tokens come from
            your application's backend, which knows who the user is.
            """
    )

    @Option(help: ArgumentHelp("A topic pattern the token may read (orders/42, orders/*, *); repeat for several.", valueName: "pattern"))
    var subscribe: [String] = []

    @Option(help: ArgumentHelp("A topic pattern the token may publish to; repeat for several.", valueName: "pattern"))
    var publish: [String] = []

    @Option(help: "How long the token is valid: 30s, 15m, 1h, 24h.")
    var ttl = "1h"

    @Option(help: "The HMAC secret (at least 32 bytes); default: HERALD_SUBSCRIBER_JWT_KEY or HERALD_PUBLISHER_JWT_KEY.")
    var key: String?

    @Option(help: "The aud claim (default: HERALD_JWT_AUDIENCE).")
    var audience: String?

    @Option(help: "The iss claim (default: HERALD_JWT_ISSUER).")
    var issuer: String?

    func run() async throws {
        guard !subscribe.isEmpty || !publish.isEmpty else { throw ValidationError("give --subscribe or --publish patterns") }
        let reader = SettingReader(environment: ProcessEnvironment.variable)
        guard let lifetime = try reader.duration(ttl, "ttl", "HERALD_TOKEN_TTL", allowZero: false) else {
            throw ValidationError("--ttl is empty")
        }
        let subscriberKey = reader.value(nil, "subscriber-jwt-key", "HERALD_SUBSCRIBER_JWT_KEY")
        let publisherKey = reader.value(nil, "publisher-jwt-key", "HERALD_PUBLISHER_JWT_KEY")
        let secret: String
        if let key {
            secret = key
        } else if !subscribe.isEmpty, !publish.isEmpty, subscriberKey != publisherKey {
            throw ValidationError("the subscriber and publisher keys differ; mint one token for each, or give --key")
        } else if let configured = subscribe.isEmpty ? publisherKey : subscriberKey {
            secret = configured
        } else {
            throw ValidationError("no secret: give --key or set \(subscribe.isEmpty ? "HERALD_PUBLISHER_JWT_KEY" : "HERALD_SUBSCRIBER_JWT_KEY")")
        }
        do {
            print(try await DevelopmentToken.mint(
                secret: secret, subscribe: subscribe, publish: publish, lifetime: .nanoseconds(lifetime.nanoseconds),
                audience: audience ?? reader.value(nil, "jwt-audience", "HERALD_JWT_AUDIENCE"),
                issuer: issuer ?? reader.value(nil, "jwt-issuer", "HERALD_JWT_ISSUER")
            ))
        } catch {
            throw CommandFailure(error.message)
        }
    }
}
