import AsyncHTTPClient
import Foundation
import NIOCore

extension Herald {
    /// Publishes one event and returns its id (the cursor a subscriber of that topic alone sees with it).
    ///
    /// Throws `rejected` (with the server's status, code and message) when the server refuses the event,
    /// `unavailable` when it stays unreachable or answers 503 for every attempt.
    public func publish(_ publication: Publication) async throws(HeraldClientError) -> String {
        let ids = try await publish([publication])
        guard let id = ids.first else { throw HeraldClientError(.malformedResponse, "the server answered a publish without an id") }
        return id
    }

    /// Publishes `publications` in order, in batches of at most `batchSize` (the server's `--max-batch` is 1000
    /// by default), and returns their ids in the same order. Each batch is stored whole or not at all; if a
    /// later batch fails, the earlier ones stay stored (the error says how many were).
    public func publish(_ publications: [Publication], batchSize: Int = 500) async throws(HeraldClientError) -> [String] {
        precondition(batchSize > 0, "a batch holds at least one event")
        let callKey = Self.randomKey()
        var ids: [String] = []
        ids.reserveCapacity(publications.count)
        var start = 0
        while start < publications.count {
            let end = min(start + batchSize, publications.count)
            let objects = publications[start..<end].enumerated().map { offset, publication in
                publication.jsonObject(idempotencyKey: "\(callKey):\(start + offset)")
            }
            let body = objects.count == 1 ? objects[0] : "[" + objects.joined(separator: ",") + "]"
            do {
                ids += try await send(body)
            } catch {
                guard start > 0 else { throw error }
                throw HeraldClientError(error.code, "\(error.message) (the first \(start) events were stored)", status: error.status, serverCode: error.serverCode)
            }
            start = end
        }
        return ids
    }

    /// Sends one publish body, retrying 503s and failed connections; returns the ids of the reply.
    private func send(_ body: String) async throws(HeraldClientError) -> [String] {
        var lastFailure = HeraldClientError(.unavailable, "no attempt was made")
        for attempt in 1...max(1, configuration.publishAttempts) {
            var request = HTTPClientRequest(url: configuration.server + "/publish")
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            for (name, value) in authorization { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(string: body))
            let wait: Duration
            do {
                let response = try await httpClient.execute(request, timeout: .init(configuration.requestTimeout))
                let reply = try await response.body.collect(upTo: 1 << 20)
                let status = Int(response.status.code)
                if status == 200 { return try Self.ids(in: reply) }
                let refusal = HeraldClientError.refusal(status: status, body: reply)
                guard status == 503 || status == 429 else { throw refusal }
                lastFailure = HeraldClientError(.unavailable, "\(refusal.message) (after \(attempt) attempts)", status: status, serverCode: refusal.serverCode)
                wait = .seconds(Int(response.headers.first(name: "retry-after") ?? "") ?? 1)
            } catch let error as HeraldClientError {
                throw error
            } catch {
                // why: every event carries an idempotency key, so resending after a lost answer stores it once.
                lastFailure = HeraldClientError(.unavailable, "could not reach \(configuration.server) (after \(attempt) attempts)", underlying: error)
                wait = .milliseconds(200 * attempt)
            }
            if attempt < configuration.publishAttempts {
                do { try await Task.sleep(for: wait) } catch { throw HeraldClientError(.cancelled, "the publish was cancelled") }
            }
        }
        throw lastFailure
    }

    private static func ids(in reply: ByteBuffer) throws(HeraldClientError) -> [String] {
        struct Reply: Decodable { var id: String?; var ids: [String]? }
        guard let decoded = try? JSONDecoder().decode(Reply.self, from: Data(reply.readableBytesView)),
              let ids = decoded.ids ?? decoded.id.map({ [$0] })
        else { throw HeraldClientError(.malformedResponse, "the publish reply has no id: \(String(buffer: reply).prefix(200))") }
        return ids
    }

    /// 16 random hex digits: an idempotency key that no other call will make.
    static func randomKey() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

extension HeraldClientError {
    /// The error for a refusal: the server's JSON error (`{"error":{"code":…,"message":…}}`) when it sent one.
    static func refusal(status: Int, body: ByteBuffer) -> HeraldClientError {
        struct Body: Decodable { struct Error: Decodable { var code: String; var message: String }; var error: Error }
        if let decoded = try? JSONDecoder().decode(Body.self, from: Data(body.readableBytesView)) {
            return HeraldClientError(.rejected, decoded.error.message, status: status, serverCode: decoded.error.code)
        }
        return HeraldClientError(.rejected, "the server answered \(status): \(String(buffer: body).prefix(200))", status: status)
    }
}
