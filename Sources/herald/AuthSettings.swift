import ArgumentParser
import HeraldAuth

/// Reads the auth settings of `herald serve` (part of `ServeSettings`): keys, public topics, cookie, audience
/// and issuer. A key file that cannot be read or holds no usable key stops startup, naming flag and variable.
enum AuthSettings {
    static func read(_ options: ServeOptions, _ reader: SettingReader) throws -> Authorizer {
        let audience = reader.value(options.jwtAudience, "jwt-audience", "HERALD_JWT_AUDIENCE")
        let issuer = reader.value(options.jwtIssuer, "jwt-issuer", "HERALD_JWT_ISSUER")
        func verifier(_ flag: String?, _ name: String, _ variable: String) throws -> TokenVerifier? {
            guard let value = reader.value(flag, name, variable) else { return nil }
            do {
                return TokenVerifier(key: try TokenKey.load(setting: value), audience: audience, issuer: issuer)
            } catch {
                throw ValidationError("--\(name) / \(variable): \(error.message)")
            }
        }
        var auth = Authorizer()
        let publisherVerifier = try verifier(options.publisherJWTKey, "publisher-jwt-key", "HERALD_PUBLISHER_JWT_KEY")
        let apiKey = reader.value(options.publisherAPIKey, "publisher-api-key", "HERALD_PUBLISHER_API_KEY")
        if publisherVerifier != nil || apiKey != nil {
            auth.publisher = PublisherAuth(verifier: publisherVerifier, apiKey: apiKey)
        }
        let publicTopics = try publicTopics(options, reader)
        if let subscriberVerifier = try verifier(options.subscriberJWTKey, "subscriber-jwt-key", "HERALD_SUBSCRIBER_JWT_KEY") {
            auth.subscriber = SubscriberAuth(verifier: subscriberVerifier, publicTopics: publicTopics)
        }
        if let cookie = reader.value(options.authCookie, "auth-cookie", "HERALD_AUTH_COOKIE") {
            guard !cookie.isEmpty, cookie.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }) else {
                throw ValidationError("--auth-cookie / HERALD_AUTH_COOKIE: \"\(cookie)\" is not a cookie name; use letters, digits, _ - .")
            }
            auth.cookieName = cookie
        }
        return auth
    }

    /// `--public-topics`: the patterns anyone may read when subscriber auth (a key or the hook) is on.
    static func publicTopics(_ options: ServeOptions, _ reader: SettingReader) throws -> [TopicPattern] {
        guard let text = reader.value(options.publicTopics, "public-topics", "HERALD_PUBLIC_TOPICS") else { return [] }
        do {
            return try TopicPattern.list(text)
        } catch {
            throw ValidationError("--public-topics / HERALD_PUBLIC_TOPICS: \(error.message)")
        }
    }
}
