import Logging
import NIOCertificateReloading
import NIOCore
import NIOSSL
import ServiceLifecycle
import UnixSignals
#if canImport(Glibc)
import Glibc
#endif

/// TLS for one listener: the context its connections handshake with, and the certificate and key that
/// context serves, read again from their files while the node runs.
///
/// Guarantees:
/// - Creating it checks the pair: both files readable, a PEM certificate chain and a PEM private key that
///   belongs to its first certificate, which is valid now; otherwise it throws a `TLSSetupError` naming the
///   setting to fix, so a node never starts with a pair it cannot serve.
/// - TLS 1.2 and 1.3 only; TLS 1.2 only with forward-secret AEAD suites (ECDHE with AES-GCM or ChaCha20).
/// - Run as a `Service`, it reads the files again every `reloadInterval` and on `SIGHUP`; each new
///   handshake uses the latest good pair, and open connections keep theirs (streams are not dropped). A pair
///   that fails to load is logged and the previous one stays.
public final class EdgeTLS: Service, Sendable {
    /// Where the pair comes from.
    public let files: TLSFiles
    let context: NIOSSLContext
    private let reloader: TimedCertificateReloader
    private let logger: Logger

    /// why: Mozilla's "intermediate" profile for TLS 1.2: forward secrecy and AEAD only (TLS 1.3's suites
    /// are all AEAD and are not configurable).
    static let cipherSuites = "ECDHE+AESGCM:ECDHE+CHACHA20"

    /// - Parameters:
    ///   - reloadInterval: how often the files are read again. why: certbot and cert-manager renew days
    ///     before expiry; a minute is prompt enough, and SIGHUP reloads at once.
    ///   - applicationProtocols: what ALPN offers, most preferred first; `["http/1.1"]` without HTTP/2.
    public init(
        files: TLSFiles, reloadInterval: Duration = .seconds(60), applicationProtocols: [String] = ["h2", "http/1.1"], logger: Logger
    ) throws(TLSSetupError) {
        self.files = files
        self.logger = logger
        try Self.check(files)
        var configuration = TimedCertificateReloader.Configuration(
            refreshInterval: reloadInterval,
            certificateSource: .init(location: .file(path: files.certificateChain), format: .pem),
            privateKeySource: .init(location: .file(path: files.privateKey), format: .pem)
        )
        configuration.onCertificateLoaded = { [logger] change in
            guard let previous = change.previousCertificateChain, previous != change.currentCertificateChain else { return }
            logger.info("tls certificate reloaded: new handshakes use it, open connections keep theirs", metadata: [
                LogKeys.tlsCertificate: "\(files.certificateChain)",
                LogKeys.tlsNotAfter: "\(Self.leaf(change.currentCertificateChain).map { Self.date($0.notValidAfter) } ?? "?")",
            ])
        }
        configuration.onCertificateLoadFailed = { [logger] failure in
            logger.warning("tls certificate could not be reloaded; the previous one is still served", metadata: [
                LogKeys.tlsCertificate: "\(files.certificateChain)", LogKeys.error: "\(failure.error)",
            ])
        }
        do {
            reloader = try TimedCertificateReloader.makeReloaderValidatingSources(configuration: configuration)
            var tls = try TLSConfiguration.makeServerConfiguration(certificateReloader: reloader)
            tls.minimumTLSVersion = .tlsv12
            tls.cipherSuites = Self.cipherSuites
            tls.applicationProtocols = applicationProtocols
            context = try NIOSSLContext(configuration: tls)
        } catch let error as TimedCertificateReloader.Error where error == .publicKeyMismatch {
            throw TLSSetupError(.mismatchedKey, "\(files.keySetting): the key in \(files.privateKey) does not belong to the certificate in \(files.certificateChain) (\(files.certificateSetting)); give the key the certificate was issued for")
        } catch {
            throw TLSSetupError(.unusable, "\(files.certificateSetting), \(files.keySetting): TLS cannot be set up with \(files.certificateChain) and \(files.privateKey): \(error)")
        }
    }

    /// The handler that speaks TLS on a new connection.
    func makeHandler() -> NIOSSLServerHandler {
        NIOSSLServerHandler(context: context)
    }

    /// Reads the files again now; a failure is logged, the previous pair stays.
    public func reload() {
        try? reloader.reload()
    }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.reloader.run() }
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
                    self.logger.info("SIGHUP: reading the tls certificate and key again", metadata: [LogKeys.tlsCertificate: "\(self.files.certificateChain)"])
                    self.reload()
                }
            }
        }
    }

    // MARK: Startup checks

    /// Checks what the reloader does not: readable files with a reason when not, a certificate and a key
    /// in them, and the validity dates of the server's certificate.
    private static func check(_ files: TLSFiles) throws(TLSSetupError) {
        try readable(files.certificateChain, setting: files.certificateSetting)
        try readable(files.privateKey, setting: files.keySetting)
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificateChain)
        } catch {
            chain = []
        }
        guard let leaf = chain.first else {
            throw TLSSetupError(.invalidCertificate, "\(files.certificateSetting): \(files.certificateChain) holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the server's certificate, then its intermediates")
        }
        do {
            _ = try NIOSSLPrivateKey(file: files.privateKey, format: .pem)
        } catch {
            throw TLSSetupError(.invalidKey, "\(files.keySetting): \(files.privateKey) holds no PEM private key (-----BEGIN PRIVATE KEY-----, or an RSA or EC key); an encrypted key is not supported")
        }
        let now = time(nil)
        guard leaf.notValidAfter > now else {
            throw TLSSetupError(.outsideValidity, "\(files.certificateSetting): the certificate in \(files.certificateChain) expired on \(date(leaf.notValidAfter)); renew it (certbot renew, or let cert-manager reissue it)")
        }
        guard leaf.notValidBefore <= now else {
            throw TLSSetupError(.outsideValidity, "\(files.certificateSetting): the certificate in \(files.certificateChain) is valid only from \(date(leaf.notValidBefore)); check the clock of this machine, or wait")
        }
    }

    private static func readable(_ path: String, setting: String) throws(TLSSetupError) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw TLSSetupError(.unreadable, "\(setting): cannot read \(path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
    }

    private static func leaf(_ chain: [NIOSSLCertificateSource]) -> NIOSSLCertificate? {
        guard case .certificate(let certificate) = chain.first else { return nil }
        return certificate
    }

    /// `2026-12-06 20:15 UTC`.
    static func date(_ seconds: time_t) -> String {
        var time = seconds
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)) UTC"
    }
}
