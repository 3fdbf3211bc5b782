import HeraldAuth
import HeraldCore
import HeraldHooks
import HeraldWire
import NIOHTTP1

/// The one place where errors become HTTP responses: status, headers and the JSON body
/// `{"error": {"code": "…", "message": "…"}}` whose message says what was wrong and how to fix it.
struct HTTPErrorResponse: Error {
    var status: HTTPResponseStatus
    var code: String
    var message: String
    var headers: [(String, String)] = []
    /// More members of the `error` object, as JSON text after a comma (`"line":3,"stored":2`); empty for most errors.
    var extraMembers = ""

    /// Whether retrying later can succeed: `503` (node full, shutting down, backend unavailable) and `429`
    /// (per-address and rate limits). A refused `GET /events` is then answered with a retry stream
    /// (`RetryRefusal`) instead of this response; other requests get this response with `Retry-After`.
    /// Everything else (400, 401, 403, 404, …) is permanent and stays an HTTP error for streams too.
    var isTemporary: Bool {
        status == .serviceUnavailable || status == .tooManyRequests
    }

    init(status: HTTPResponseStatus, code: String, message: String, headers: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    init(_ error: any Error) {
        switch error {
        case let error as HTTPErrorResponse:
            self = error
        case let error as EdgeError:
            self.init(status: Self.status(of: error.code), code: error.code.description, message: error.message)
            if !error.allowedMethods.isEmpty { headers.append(("allow", error.allowedMethods.joined(separator: ", "))) }
            if let seconds = error.retryAfter ?? (error.code == .shuttingDown ? 1 : nil) { headers.append(("retry-after", "\(seconds)")) }
        case let error as HeraldError:
            self.init(status: Self.status(of: error.code), code: error.code.description, message: error.message)
            // why: a short hint; a backend that is down usually comes back (or the LB moves traffic) within seconds.
            if error.code == .backendUnavailable { headers.append(("retry-after", "2")) }
        case let error as AuthError:
            self.init(status: Self.status(of: error.code), code: error.code.description, message: error.message)
            // why: RFC 6750 — a 401 names the scheme the client must use.
            if error.code == .unauthorized { headers.append(("www-authenticate", "Bearer realm=\"herald\"")) }
        case let error as AuthHookError:
            self.init(status: .serviceUnavailable, code: error.code.description, message: error.message)
            // why: a hook that is down usually comes back (or is restarted) within seconds, as a backend does.
            headers.append(("retry-after", "2"))
        case let error as ProxyHeaderError:
            self.init(status: .badRequest, code: error.code.description, message: error.message)
        case let error as PublishBodyError:
            self.init(status: .badRequest, code: error.code.description, message: error.message)
        case let failure as StreamingPublishFailure:
            self.init(failure.cause)
            if let line = failure.line, !message.hasPrefix("line ") { message = "line \(line): \(message)" }
            message += "; \(failure.storedSentence)"
            if let line = failure.line { extraMembers += ",\"line\":\(line)" }
            extraMembers += ",\"stored\":\(failure.summary.count)"
            extraMembers += ",\"lastId\":\(failure.summary.last.map { "\"\($0.id)\"" } ?? "null")"
        default:
            self.init(status: .internalServerError, code: "internal_error", message: "the server failed to handle the request; it was logged")
        }
    }

    private static func status(of code: HeraldError.Code) -> HTTPResponseStatus {
        switch code {
        case .backendUnavailable: .serviceUnavailable
        case .backendFailure: .badGateway
        default: .badRequest
        }
    }

    private static func status(of code: AuthError.Code) -> HTTPResponseStatus {
        switch code {
        case .unauthorized: .unauthorized
        case .forbiddenTopic, .forbidden: .forbidden
        default: .internalServerError
        }
    }

    private static func status(of code: EdgeError.Code) -> HTTPResponseStatus {
        switch code {
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .payloadTooLarge: .payloadTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .shuttingDown, .draining, .tooManyConnections: .serviceUnavailable
        case .headersTooLarge: .requestHeaderFieldsTooLarge
        case .uriTooLong: .uriTooLong
        case .requestTimeout: .requestTimeout
        case .tooManyConnectionsFromAddress, .rateLimited: .tooManyRequests
        case .eventTooLarge, .streamTooLong: .payloadTooLarge
        case .originNotAllowed: .forbidden
        default: .badRequest
        }
    }

    /// The JSON body.
    var body: String {
        "{\"error\":{\"code\":\(JSONText.quoted(code)),\"message\":\(JSONText.quoted(message))\(extraMembers)}}"
    }

    /// The complete response, with `extraHeaders` added after this error's own.
    func response(adding extraHeaders: [(String, String)] = []) -> EndpointResponse {
        EndpointResponse(status: status, contentType: "application/json", body: body, headers: headers + extraHeaders)
    }
}
