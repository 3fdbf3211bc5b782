import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Asks the hook one question over HTTP; ``AuthHook`` decides when.
public protocol AuthHookCalling: Sendable {
    func call(_ question: AuthHookQuestion) async throws(AuthHookError) -> AuthHookAnswer
}

/// Calls the hook with AsyncHTTPClient: a pool of at most `maxConcurrentCalls` connections, no redirects
/// followed, each call bounded by `timeout` (waiting for a connection included) and its answer by
/// `maxAnswerBytes`.
///
/// The request: `POST url`, `Content-Type: application/json`, the question's body, the forwarded headers as
/// they came, and `X-Forwarded-For` with the client's address; `User-Agent: herald-auth-hook`.
public final class HTTPAuthHookCaller: AuthHookCalling {
    private let settings: AuthHookSettings
    private let client: HTTPClient

    public init(settings: AuthHookSettings, eventLoopGroup: any EventLoopGroup) {
        self.settings = settings
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = settings.maxConcurrentCalls
        configuration.connectionPool.idleTimeout = .seconds(30)
        // why: a hook that closes a kept-alive connection just as a call goes out would fail that call.
        configuration.connectionPool.retryConnectionEstablishment = true
        client = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: configuration)
    }

    /// Closes the pool; calls after this fail.
    public func shutdown() async {
        try? await client.shutdown()
    }

    public func call(_ question: AuthHookQuestion) async throws(AuthHookError) -> AuthHookAnswer {
        var request = HTTPClientRequest(url: settings.url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "herald-auth-hook")
        for (name, value) in question.headers where name != "x-forwarded-for" {
            request.headers.add(name: name, value: value)
        }
        if let address = question.clientAddress { request.headers.add(name: "x-forwarded-for", value: address) }
        request.body = .bytes(ByteBuffer(bytes: question.body))
        let (url, limit) = (settings.url, settings.maxAnswerBytes)
        let deadline = NIODeadline.now() + TimeAmount(settings.timeout)
        do {
            let response = try await client.execute(request, deadline: deadline)
            // why: the deadline of `execute` ends at the response head; a hook that then trickles its body must
            // not hold the stream longer, so the body is read against the same deadline.
            let body = try await Self.beforeDeadline(deadline) {
                do {
                    return try await response.body.collect(upTo: limit)
                } catch is NIOTooManyBytesError {
                    throw AuthHookError(.unavailable, "the auth hook \(url) answered more than \(limit) bytes")
                }
            }
            return try AuthHookAnswer.read(
                status: Int(response.status.code), cacheControl: response.headers.first(name: "cache-control"),
                body: Data(body.readableBytesView), url: url
            )
        } catch let error as AuthHookError {
            throw error
        } catch let error where error is CancellationError
            || (error as? HTTPClientError).map({ [.deadlineExceeded, .readTimeout, .connectTimeout].contains($0) }) == true {
            throw AuthHookError(.unavailable, "the auth hook \(url) did not answer within \(settings.timeout)", underlying: error)
        } catch {
            throw AuthHookError(.unavailable, "the auth hook \(url) could not be reached: \(error)", underlying: error)
        }
    }

    /// Runs `work`, cancelling it at `deadline` (it then throws `CancellationError`).
    private static func beforeDeadline<T: Sendable>(_ deadline: NIODeadline, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(max(0, (deadline - NIODeadline.now()).nanoseconds)))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw CancellationError() }
            return value
        }
    }
}
