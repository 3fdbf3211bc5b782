import ArgumentParser
import Foundation
import HeraldHTTP
import HeraldHooks

/// Reads the application's auth hook settings (part of `ServeSettings`): the subscribe and publish hooks' URLs,
/// and what they share: the headers forwarded, the cache time, timeout and pool, and the fail-open switch (of
/// the subscribe hook). A URL that is not http(s), or that points at this node's own listener (each request
/// would ask the node itself), stops startup.
enum AuthHookSettingsReader {
    static func read(_ options: ServeOptions, _ reader: SettingReader, into edge: inout EdgeConfiguration) throws {
        let subscribeURL = reader.value(options.subscribeAuthURL, "subscribe-auth-url", "HERALD_SUBSCRIBE_AUTH_URL")
        let publishURL = reader.value(options.publishAuthURL, "publish-auth-url", "HERALD_PUBLISH_AUTH_URL")
        let dependent: [(String?, String)] = [
            (options.subscribeAuthForwardHeaders, "--subscribe-auth-forward-headers"), (options.authCacheTTL, "--auth-cache-ttl"),
            (options.authTimeout, "--auth-timeout"), (options.authMaxConcurrent.map(String.init), "--auth-max-concurrent"),
        ]
        guard subscribeURL != nil || publishURL != nil else {
            if let (_, name) = dependent.first(where: { $0.0 != nil }) {
                throw ValidationError("\(name) applies to the auth hooks: set --subscribe-auth-url / HERALD_SUBSCRIBE_AUTH_URL or --publish-auth-url / HERALD_PUBLISH_AUTH_URL too")
            }
            if options.authFailOpenForResumes != nil {
                throw ValidationError("--auth-fail-open-for-resumes applies to the subscribe hook: set --subscribe-auth-url / HERALD_SUBSCRIBE_AUTH_URL too")
            }
            return
        }
        if let subscribeURL { try check(subscribeURL, "--subscribe-auth-url / HERALD_SUBSCRIBE_AUTH_URL", edge: edge) }
        if let publishURL { try check(publishURL, "--publish-auth-url / HERALD_PUBLISH_AUTH_URL", edge: edge) }
        var settings = AuthHookSettings(url: "")
        if let list = reader.value(options.subscribeAuthForwardHeaders, "subscribe-auth-forward-headers", "HERALD_SUBSCRIBE_AUTH_FORWARD_HEADERS") {
            let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            if let bad = names.first(where: { name in !name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") } }) {
                throw ValidationError("--subscribe-auth-forward-headers / HERALD_SUBSCRIBE_AUTH_FORWARD_HEADERS: \"\(bad)\" is not a header name")
            }
            settings.forwardedHeaders = names
        }
        if let ttl = try reader.duration(options.authCacheTTL, "auth-cache-ttl", "HERALD_AUTH_CACHE_TTL") {
            settings.cacheTTL = .nanoseconds(ttl.nanoseconds)
        }
        if let timeout = try reader.duration(options.authTimeout, "auth-timeout", "HERALD_AUTH_TIMEOUT", allowZero: false) {
            settings.timeout = .nanoseconds(timeout.nanoseconds)
        }
        settings.maxConcurrentCalls = try reader.int(options.authMaxConcurrent, "auth-max-concurrent", "HERALD_AUTH_MAX_CONCURRENT", range: 1...4096)
            ?? settings.maxConcurrentCalls
        if let publishURL {
            settings.url = publishURL
            edge.publishHook = settings
        }
        settings.failOpenForResumes = try reader.onOff(options.authFailOpenForResumes, "auth-fail-open-for-resumes", "HERALD_AUTH_FAIL_OPEN_FOR_RESUMES")
            ?? settings.failOpenForResumes
        if let subscribeURL {
            settings.url = subscribeURL
            edge.subscribeHook = settings
        } else if settings.failOpenForResumes {
            throw ValidationError("--auth-fail-open-for-resumes applies to the subscribe hook: set --subscribe-auth-url / HERALD_SUBSCRIBE_AUTH_URL too")
        }
    }

    /// Refuses a URL that is not `http(s)://host/…`, or whose host and port are this node's own listener.
    private static func check(_ url: String, _ setting: String, edge: EdgeConfiguration) throws {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = parts.host, !host.isEmpty
        else {
            throw ValidationError("\(setting): \"\(url)\" is not an http:// or https:// URL; write e.g. http://app.internal:3000/herald/auth")
        }
        let port = parts.port ?? (scheme == "https" ? 443 : 80)
        let local = ["localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", edge.host]
        let ownPorts = [edge.port] + (edge.publishPort.map { [$0] } ?? [])
        if local.contains(host.lowercased()), ownPorts.contains(port) {
            throw ValidationError("\(setting): \(url) is this node's own listener; the hook is the application's endpoint that answers whether a request may read its topics")
        }
    }
}
