import AsyncHTTPClient
import Foundation
import NIOCore

extension Herald {
    /// What the server says of `name` (`GET /topics/{topic}`): retained events, first and last id, epoch, and
    /// subscribers across the nodes. A topic never published to is not an error: it has nothing retained.
    ///
    /// With publisher auth on, the client's token must be one that may publish to the topic. Throws
    /// `rejected` with the server's message (an invalid topic, a missing or insufficient credential),
    /// `unavailable` for a 503 or 429, `connectionFailed` when the server cannot be reached, and
    /// `malformedResponse` for an answer that is not the documented JSON. Not retried.
    public func topic(_ name: String) async throws(HeraldClientError) -> TopicInfo {
        var request = HTTPClientRequest(url: configuration.server + "/topics/" + Self.pathSegment(name))
        request.method = .GET
        for (header, value) in authorization { request.headers.add(name: header, value: value) }
        let status: Int
        let body: ByteBuffer
        do {
            let response = try await httpClient.execute(request, timeout: .init(configuration.requestTimeout))
            status = Int(response.status.code)
            // why: a topic's answer is a few hundred bytes; a larger one is not Herald's.
            body = try await response.body.collect(upTo: 1 << 16)
        } catch is CancellationError {
            throw HeraldClientError(.cancelled, "the request for \(name) was cancelled")
        } catch {
            throw HeraldClientError(.connectionFailed, "could not reach \(configuration.server)", underlying: error)
        }
        guard status == 200 else {
            let refusal = HeraldClientError.refusal(status: status, body: body)
            guard status == 503 || status == 429 else { throw refusal }
            throw HeraldClientError(.unavailable, refusal.message, status: status, serverCode: refusal.serverCode)
        }
        do {
            return try JSONDecoder().decode(TopicInfo.self, from: Data(body.readableBytesView))
        } catch {
            throw HeraldClientError(.malformedResponse, "the topic answer is not the documented JSON: \(String(buffer: body).prefix(200))", underlying: error)
        }
    }

    /// `name` as one percent-encoded path segment: every byte but the unreserved ones (RFC 3986) encoded, and
    /// `.` too when the whole name is `.` or `..` (which URL handling would otherwise take as a step up).
    static func pathSegment(_ name: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        let dotsOnly = name == "." || name == ".."
        var encoded = ""
        for byte in name.utf8 {
            if unreserved.contains(byte), !(dotsOnly && byte == UInt8(ascii: ".")) {
                encoded.append(Character(Unicode.Scalar(byte)))
            } else {
                encoded += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return encoded
    }
}
