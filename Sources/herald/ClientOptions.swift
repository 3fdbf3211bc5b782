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

/// One line on standard error: a message for people, never part of a command's output.
enum Console {
    /// Whether standard error is a terminal: progress lines are shown there, and kept quiet when piped.
    static let isInteractive = isatty(2) == 1

    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Rewrites the current progress line (terminals only).
    static func progress(_ text: String) {
        guard isInteractive else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    static func endProgress() {
        guard isInteractive else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// A command's failure, printed by ArgumentParser as `Error: <message>` with exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ message: String) {
        description = message
    }
}
