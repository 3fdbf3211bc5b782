import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// The open body of a streaming publish (`Herald.withPublishStream`): each `send` writes one event as a line
/// of the request at once, and the server stores and delivers it as soon as the line arrives, while the
/// request stays open. Made for a language model's tokens: one request for a whole answer.
///
/// `send` does not wait for the server; lines wait in memory only while the connection is slower than the
/// producer. Once the server has ended the request (a refused line, a limit, the node shutting down), `send`
/// throws and `withPublishStream` throws the server's error, which says how many lines were stored.
public final class PublishStream: Sendable {
    private let body: AsyncStream<ByteBuffer>.Continuation
    /// The request's topic (`?topic=`): events of it are sent without their topic.
    public let topic: String?
    private let state = Mutex(State())

    private struct State {
        var sent = 0
        var ended: HeraldClientError?
    }

    init(body: AsyncStream<ByteBuffer>.Continuation, topic: String?) {
        self.body = body
        self.topic = topic
    }

    /// Events sent so far.
    public var sentCount: Int { state.withLock { $0.sent } }

    /// Sends `publication` as the next line. Its idempotency key, when it has one, replaces the stream's.
    public func send(_ publication: Publication) throws(HeraldClientError) {
        var line = ByteBuffer(string: publication.jsonObject(includingTopic: publication.topic != topic, idempotencyKey: publication.idempotencyKey))
        line.writeStaticString("\n")
        try state.withLock { state throws(HeraldClientError) in
            if let ended = state.ended { throw ended }
            state.sent += 1
        }
        body.yield(line)
    }

    /// Sends `text` as the next event of the stream's topic, with the SSE event name `type` (nil: `message`).
    public func send(text: String, type: String? = nil) throws(HeraldClientError) {
        guard let topic else { throw HeraldClientError(.rejected, "the stream has no topic; send a Publication that names one") }
        try send(Publication(topic: topic, text: text, type: type))
    }

    /// Ends the body: the server answers once it stored every line.
    func finish() {
        body.finish()
    }

    /// Marks the request as over, so that further sends throw `error`.
    func ended(by error: HeraldClientError) {
        state.withLock { if $0.ended == nil { $0.ended = error } }
        body.finish()
    }
}

/// What a streaming publish stored.
public struct PublishStreamResult: Sendable, Equatable, Decodable {
    /// Events stored: every line sent.
    public var count: Int
    /// The id of the last event (nil when none was sent).
    public var lastID: String?
    /// Every event's id, in order, when the stream was short (the server's `--max-batch` events at most).
    public var ids: [String]?

    enum CodingKeys: String, CodingKey {
        case count
        case lastID = "lastId"
        case ids
    }
}

extension Herald {
    /// Publishes the events `body` sends through one streaming request (NDJSON), each stored and delivered as
    /// soon as it is sent; returns what was stored once `body` returns and the server has stored every line.
    ///
    /// ```swift
    /// let result = try await herald.withPublishStream(topic: "answers/\(id)") { stream in
    ///     for try await token in model.generate(prompt) { try stream.send(text: token) }
    ///     try stream.send(text: "[DONE]", type: "done")
    /// }
    /// ```
    ///
    /// With `idempotencyKey`, line N is stored under `<key>:N`: calling again with the same key and the same
    /// events after a failure stores each event once. There is no automatic retry (the events are not kept).
    /// Throws `rejected` with the server's error (which names the line and says how many were stored),
    /// `unavailable` for a 503 or 429, `connectionFailed` when the server cannot be reached, or what `body` threw.
    public func withPublishStream(
        topic: String? = nil, idempotencyKey: String? = nil, _ body: (PublishStream) async throws -> Void
    ) async throws -> PublishStreamResult {
        let (lines, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let stream = PublishStream(body: continuation, topic: topic)
        var request = HTTPClientRequest(url: configuration.server + "/publish" + (topic.map { "?topic=" + Self.percentEncoded($0) } ?? ""))
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/x-ndjson")
        if let idempotencyKey { request.headers.add(name: "idempotency-key", value: idempotencyKey) }
        for (name, value) in authorization { request.headers.add(name: name, value: value) }
        request.body = .stream(lines, length: .unknown)
        async let reply = exchange(request, for: stream)
        do {
            try await body(stream)
        } catch {
            stream.ended(by: HeraldClientError(.cancelled, "the stream's producer failed"))
            // why: the server's refusal explains a send that threw; report it rather than the send's error.
            if case .failure(let refusal) = await reply, error is HeraldClientError { throw refusal }
            throw error
        }
        stream.finish()
        return try await reply.get()
    }

    /// Sends the request and reads the answer; whatever it is, the stream takes no more lines after it.
    private func exchange(_ request: HTTPClientRequest, for stream: PublishStream) async -> Result<PublishStreamResult, HeraldClientError> {
        let result: Result<PublishStreamResult, HeraldClientError>
        do {
            // why: no deadline for the whole request: it lasts as long as the producer; the server bounds the gaps.
            let response = try await httpClient.execute(request, timeout: .hours(24))
            let reply = try await response.body.collect(upTo: 1 << 20)
            let status = Int(response.status.code)
            if status == 200 {
                guard let decoded = try? JSONDecoder().decode(PublishStreamResult.self, from: Data(reply.readableBytesView)) else {
                    throw HeraldClientError(.malformedResponse, "the stream's reply is not {\"count\":…}: \(String(buffer: reply).prefix(200))")
                }
                result = .success(decoded)
            } else {
                let refusal = HeraldClientError.refusal(status: status, body: reply)
                let code: HeraldClientError.Code = status == 503 || status == 429 ? .unavailable : .rejected
                result = .failure(HeraldClientError(code, refusal.message, status: status, serverCode: refusal.serverCode))
            }
        } catch let error as HeraldClientError {
            result = .failure(error)
        } catch {
            result = .failure(HeraldClientError(.connectionFailed, "the stream to \(configuration.server) failed", underlying: error))
        }
        if case .failure(let error) = result { stream.ended(by: error) }
        return result
    }

    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .herald) ?? text
    }
}
