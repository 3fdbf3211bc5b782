/// Why a listener's certificate and key cannot serve TLS: said at startup, naming the setting to fix.
public struct TLSSetupError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A file that does not exist or cannot be read.
        public static let unreadable = Code("unreadable")
        /// The certificate file holds no PEM certificate.
        public static let invalidCertificate = Code("invalid_certificate")
        /// The key file holds no PEM private key.
        public static let invalidKey = Code("invalid_key")
        /// The key does not belong to the first certificate of the chain.
        public static let mismatchedKey = Code("mismatched_key")
        /// The certificate's validity ended, or has not begun.
        public static let outsideValidity = Code("outside_validity")
        /// TLS could not be set up with this pair for another reason (the underlying error says which).
        public static let unusable = Code("unusable")

        public var description: String { name }
    }

    public var code: Code
    public var message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
