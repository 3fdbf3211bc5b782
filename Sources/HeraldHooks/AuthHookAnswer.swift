import Foundation

/// What an auth hook answered, read from its status, `Cache-Control` and body.
///
/// - `200` allows. Its body is empty or a JSON object with, all optional: `topics` (the requested topics it
///   allows; absent: all of them), `expires_in` (seconds the stream may stay open), `user` (who the client
///   is, for revocation by user; never logged).
/// - `401` and `403` refuse; a JSON body's `message` (or `error`, or `error.message`) is passed on.
/// - Anything else is no answer (``AuthHookError``): another status, a redirect, a body that is not that JSON.
///
/// `Cache-Control: no-store`, `no-cache` or `max-age=0` keep the answer out of the cache; `max-age=N` keeps it
/// N seconds instead of the configured time.
public struct AuthHookAnswer: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        /// Allowed: `topics` nil means every requested topic.
        case allowed(topics: Set<String>?, expiresIn: Duration?, user: String?)
        /// Refused with 401 (`unauthorized` true) or 403, and the hook's reason if it gave one.
        case refused(unauthorized: Bool, reason: String?)
    }

    public enum Caching: Sendable, Equatable {
        /// The configured time (`--auth-cache-ttl`).
        case configured
        /// The hook's `max-age`.
        case maxAge(Duration)
        case never
    }

    public var verdict: Verdict
    public var caching: Caching

    public init(verdict: Verdict, caching: Caching = .configured) {
        self.verdict = verdict
        self.caching = caching
    }

    /// The longest a hook's reason or user may be; longer ones are cut (reason) or refused (user).
    static let maxTextLength = 256

    /// Reads an answer; `url` names the hook in errors.
    public static func read(status: Int, cacheControl: String?, body: Data, url: String) throws(AuthHookError) -> AuthHookAnswer {
        let caching = Self.caching(cacheControl)
        switch status {
        case 200:
            return AuthHookAnswer(verdict: try allowed(body, url: url), caching: caching)
        case 401, 403:
            return AuthHookAnswer(verdict: .refused(unauthorized: status == 401, reason: reason(body)), caching: caching)
        case 300..<400:
            throw AuthHookError(.unavailable, "the auth hook \(url) answered a redirect (\(status)); Herald does not follow redirects: give the final URL")
        default:
            throw AuthHookError(.unavailable, "the auth hook \(url) answered \(status); it must answer 200, 401 or 403")
        }
    }

    private static func allowed(_ body: Data, url: String) throws(AuthHookError) -> Verdict {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return .allowed(topics: nil, expiresIn: nil, user: nil)
        }
        func garbage(_ what: String) -> AuthHookError {
            AuthHookError(.unavailable, "the auth hook \(url) answered 200 with \(what); see docs/security.md for the answer's form")
        }
        struct Allowed: Decodable {
            var topics: [String]?
            var expires_in: Double?
            var user: String?
        }
        let allowed: Allowed
        do {
            allowed = try JSONDecoder().decode(Allowed.self, from: body)
        } catch {
            throw garbage("a body that is not a JSON object of topics (strings), expires_in (seconds) and user (a string)")
        }
        var expiresIn: Duration?
        if let seconds = allowed.expires_in {
            guard seconds > 0, seconds.isFinite else { throw garbage("\"expires_in\" that is not a positive number of seconds") }
            expiresIn = .milliseconds(Int64(min(seconds, 1e9) * 1000))
        }
        if let user = allowed.user, user.isEmpty || user.utf8.count > maxTextLength {
            throw garbage("\"user\" that is not a string of 1 to \(maxTextLength) bytes")
        }
        let (topics, user) = (allowed.topics.map(Set.init), allowed.user)
        return .allowed(topics: topics, expiresIn: expiresIn, user: user)
    }

    /// The reason of a refusal, from `{"message": …}`, `{"error": "…"}` or `{"error": {"message": …}}`.
    private static func reason(_ body: Data) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else { return nil }
        let text = object["message"] as? String
            ?? object["error"] as? String
            ?? (object["error"] as? [String: Any])?["message"] as? String
        guard let text, !text.isEmpty else { return nil }
        let printable = String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
        return printable.count > maxTextLength ? String(printable.prefix(maxTextLength)) + "…" : printable
    }

    static func caching(_ header: String?) -> Caching {
        guard let header else { return .configured }
        var maxAge: Int?
        for directive in header.lowercased().split(separator: ",") {
            let parts = directive.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            switch parts.first {
            case "no-store", "no-cache", "private=no-cache": return .never
            case "max-age": maxAge = parts.count == 2 ? Int(parts[1]) : nil
            default: continue
            }
        }
        guard let maxAge else { return .configured }
        // why: a day at most; a hook that says more keeps a revoked session allowed from the cache for that long.
        return maxAge <= 0 ? .never : .maxAge(.seconds(min(maxAge, 86_400)))
    }
}
