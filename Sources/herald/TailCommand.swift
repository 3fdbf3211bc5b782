import ArgumentParser
import Foundation
import HeraldClient

/// `herald tail`: subscribes to topics and prints their events, reconnecting and resuming as a browser does.
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print the events of topics as they are published; reconnects and resumes by itself.",
        discussion: """
            herald tail --topic orders/42 --topic user/7
            herald tail --topic logs/ci --last-event-id <id> --json
            Events go to standard output: the data of a message event, or "<event>: <data>" for named ones; with
            --json one object a line ({"id":…,"event":…,"data":…}). Resets (history lost) and reconnections are
            reported on standard error.
            """
    )

    @OptionGroup var client: ClientOptions

    @Option(name: .customLong("topic"), help: "A topic; repeat for several.")
    var topics: [String] = []

    @Option(help: "Start after this event id instead of at the topics' current end.")
    var lastEventID: String?

    @Flag(help: "Print one JSON object a line.")
    var json = false

    @Option(help: "Stop after this many events.")
    var count: Int?

    mutating func validate() throws {
        guard !topics.isEmpty else { throw ValidationError("give at least one --topic") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        let herald = try client.client()
        var received = 0
        do {
            for try await item in herald.subscribe(to: topics, lastEventID: lastEventID) {
                switch item {
                case .event(let event):
                    let line = json ? Self.jsonLine(event) : event.type == "message" ? event.data : "\(event.type): \(event.data)"
                    // why: unbuffered, so that a pipe (`herald tail … | grep`) sees each event as it comes.
                    FileHandle.standardOutput.write(Data((line + "\n").utf8))
                    received += 1
                    if let count, received >= count { return }
                case .reset(let resets):
                    for reset in resets { Console.note("herald: history lost for \(reset.topic) (\(reset.reason)); what is left follows") }
                case .disconnected(let reason, let delay):
                    Console.note("herald: disconnected (\(reason)); reconnecting in \(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000) ms")
                }
            }
        } catch let error as HeraldClientError {
            throw CommandFailure(error.message)
        }
    }

    static func jsonLine(_ event: SSEEvent) -> String {
        struct Line: Encodable { var id: String?; var event: String; var data: String }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Line(id: event.id, event: event.type, data: event.data))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
