import ArgumentParser
import HeraldHTTP
import Logging

/// Reads the TLS settings of `herald serve` (part of `ServeSettings`): each listener's certificate and key
/// files, and how often they are read again. A certificate without its key (or the reverse), or a publish
/// pair without a publish listener, stops startup; the files themselves are checked by `EdgeTLS`.
struct TLSSettings {
    var main: TLSFiles?
    var publish: TLSFiles?
    var reloadInterval: Duration = .seconds(60)

    static func read(_ options: ServeOptions, _ reader: SettingReader, publishPort: Int?) throws -> TLSSettings {
        var settings = TLSSettings()
        settings.main = try pair(reader, options.tlsCert, options.tlsKey, "tls-cert", "HERALD_TLS_CERT", "tls-key", "HERALD_TLS_KEY")
        settings.publish = try pair(
            reader, options.publishTLSCert, options.publishTLSKey, "publish-tls-cert", "HERALD_PUBLISH_TLS_CERT", "publish-tls-key", "HERALD_PUBLISH_TLS_KEY"
        )
        guard settings.publish == nil || publishPort != nil else {
            throw ValidationError("--publish-tls-cert / HERALD_PUBLISH_TLS_CERT applies to the separate publish listener (--publish-port); without it, publishes share --port and its --tls-cert")
        }
        if let interval = try reader.duration(options.tlsReloadInterval, "tls-reload-interval", "HERALD_TLS_RELOAD_INTERVAL", allowZero: false) {
            guard interval >= .seconds(1) else {
                throw ValidationError("--tls-reload-interval / HERALD_TLS_RELOAD_INTERVAL: at least 1s; SIGHUP reloads at once when a renewal needs it sooner")
            }
            settings.reloadInterval = .nanoseconds(interval.nanoseconds)
        }
        return settings
    }

    private static func pair(
        _ reader: SettingReader, _ certificateFlag: String?, _ keyFlag: String?,
        _ certificateName: String, _ certificateVariable: String, _ keyName: String, _ keyVariable: String
    ) throws -> TLSFiles? {
        let certificate = reader.value(certificateFlag, certificateName, certificateVariable)
        let key = reader.value(keyFlag, keyName, keyVariable)
        switch (certificate, key) {
        case (nil, nil):
            return nil
        case (let certificate?, let key?):
            return TLSFiles(
                certificateChain: certificate, privateKey: key,
                certificateSetting: "--\(certificateName) / \(certificateVariable)", keySetting: "--\(keyName) / \(keyVariable)"
            )
        default:
            throw ValidationError("--\(certificateName) / \(certificateVariable) and --\(keyName) / \(keyVariable) go together: the certificate chain and its private key")
        }
    }

    /// Builds the listeners' TLS into `edge`, checking each pair; a pair that cannot serve stops startup.
    func apply(to edge: inout EdgeConfiguration, logger: Logger) throws {
        do {
            let protocols = edge.http2.enabled ? ["h2", "http/1.1"] : ["http/1.1"]
            edge.tls = try main.map { try EdgeTLS(files: $0, reloadInterval: reloadInterval, applicationProtocols: protocols, logger: logger) }
            edge.publishTLS = try publish.map { try EdgeTLS(files: $0, reloadInterval: reloadInterval, applicationProtocols: protocols, logger: logger) }
        } catch let error as TLSSetupError {
            throw ValidationError(error.message)
        }
    }
}
