import ArgumentParser
import Foundation
import HeraldClient

/// The node and credential of the client commands (`publish`, `tail`): flags, else `HERALD_URL` and
/// `HERALD_TOKEN`, else a local node without a credential.
struct ClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The node's base URL (default: HERALD_URL, else http://127.0.0.1:8080).", valueName: "url"))
    var server: String?

    @Option(help: ArgumentHelp("A JWT or API key, sent as Authorization: Bearer (default: HERALD_TOKEN).", valueName: "token"))
    var token: String?

    func client() throws -> Herald {
        let environment = ProcessInfo.processInfo.environment
        let server = server ?? environment["HERALD_URL"] ?? "http://127.0.0.1:8080"
        guard server.hasPrefix("http://") || server.hasPrefix("https://") else {
            throw ValidationError("--server / HERALD_URL: \"\(server)\" is not an http:// or https:// URL")
        }
        return Herald(server: server, token: token ?? environment["HERALD_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
    }
}
