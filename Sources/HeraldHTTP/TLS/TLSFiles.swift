/// The PEM files of one listener's certificate chain (the server's certificate first, then the
/// intermediates) and private key, with the settings that named them, for messages.
public struct TLSFiles: Sendable, Equatable {
    public var certificateChain: String
    public var privateKey: String
    /// How the certificate and key were set, e.g. `--tls-cert / HERALD_TLS_CERT`.
    public var certificateSetting: String
    public var keySetting: String

    public init(certificateChain: String, privateKey: String, certificateSetting: String = "the certificate", keySetting: String = "the key") {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.certificateSetting = certificateSetting
        self.keySetting = keySetting
    }
}
