/// Why the bytes at the start of a connection are not a PROXY protocol header that ``ProxyHeader`` accepts.
///
/// `code` is stable; `message` says what was wrong and what to change (usually the load balancer's setting).
public struct ProxyHeaderError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case notProxyProtocol = "not_proxy_protocol"
            case malformed = "malformed_proxy_header"
            case unsupported = "unsupported_proxy_header"
            case tooLong = "proxy_header_too_long"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The connection starts with something else (a plain HTTP request, a TLS hello).
        public static let notProxyProtocol = Code(.notProxyProtocol)
        /// A version 1 (text) or version 2 (binary) header that breaks the protocol's grammar.
        public static let malformed = Code(.malformed)
        /// A version 2 header of a version or command the protocol does not define.
        public static let unsupported = Code(.unsupported)
        /// A header longer than the protocol allows (107 bytes for version 1) or than Herald reads
        /// (``ProxyHeader/maximumV2Length`` for version 2).
        public static let tooLong = Code(.tooLong)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
