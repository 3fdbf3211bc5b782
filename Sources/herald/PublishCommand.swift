import ArgumentParser
import Foundation
import HeraldClient
import HeraldWire

/// `herald publish`: publishes one event from the command line, or NDJSON from stdin, and prints the ids.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish events to a Herald node and print their ids.",
        discussion: """
            herald publish --topic orders/42 --data '{"status":"paid"}' --event order.updated
            herald publish --topic logs/ci --data @build.log
            cat events.ndjson | herald publish -      (one JSON object a line: topic, data, event, idempotencyKey;
                                                       --topic sets the topic of lines without one)
            model | herald publish --stream --topic answers/7 -
                                                      (one streaming request: each line is stored and delivered
                                                       as soon as it is read; prints the last id at the end)
            --data is sent as JSON when it is JSON (an object, an array, a number…), else as text.
            """
    )

    @OptionGroup var client: ClientOptions

    @Option(help: "The topic (for NDJSON: of lines without a topic).")
    var topic: String?

    @Option(help: ArgumentHelp("The data: text or JSON, or @path to send a file's contents as text.", valueName: "data"))
    var data: String?

    @Option(help: "The SSE event name (default: message).")
    var event: String?

    @Option(help: "Makes a retry store the event(s) once; for NDJSON, line i is keyed <key>:<i>.")
    var idempotencyKey: String?

    @Flag(help: "With -: send standard input as one streaming request (application/x-ndjson), each line as soon as it is read.")
    var stream = false

    @Argument(help: ArgumentHelp("- reads NDJSON events from standard input.", valueName: "-"))
    var input: String?

    mutating func validate() throws {
        if let input, input != "-" { throw ValidationError("unexpected argument \(input); give - to read NDJSON from stdin") }
        if input == nil {
            guard topic != nil, data != nil else { throw ValidationError("give --topic and --data, or - to read NDJSON from stdin") }
        } else if data != nil {
            throw ValidationError("--data and - (stdin) exclude each other")
        }
        if stream, input == nil { throw ValidationError("--stream reads standard input: give - as well") }
    }

    func run() async throws {
        let herald = try client.client()
        do {
            if input == "-", stream {
                try await streamLines(with: herald)
            } else if input == "-" {
                try await publishLines(with: herald)
            } else {
                let publication = Publication(topic: topic!, payload: try payload(of: data!), type: event, idempotencyKey: idempotencyKey)
                print(try await herald.publish(publication))
            }
        } catch let error as HeraldClientError {
            throw CommandFailure(error.message)
        }
    }

    /// Reads NDJSON from stdin and publishes it in batches as lines arrive, printing ids as they come back.
    private func publishLines(with herald: Herald) async throws {
        let batchSize = 500
        var batch: [Publication] = []
        var lineNumber = 0
        var published = 0
        func flush() async throws {
            guard !batch.isEmpty else { return }
            for id in try await herald.publish(batch, batchSize: batchSize) { print(id) }
            published += batch.count
            batch.removeAll(keepingCapacity: true)
            Console.progress("published \(published) events")
        }
        while let line = readLine() {
            lineNumber += 1
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            batch.append(try publication(line: line, number: lineNumber))
            if batch.count == batchSize { try await flush() }
        }
        try await flush()
        Console.endProgress()
    }

    /// Sends stdin as one streaming request, each line as soon as it is read; prints the ids (the last one
    /// only for a long stream) once the server stored every line.
    private func streamLines(with herald: Herald) async throws {
        let result = try await herald.withPublishStream(topic: topic, idempotencyKey: idempotencyKey) { stream in
            var lineNumber = 0
            while let line = readLine() {
                guard !line.allSatisfy(\.isWhitespace) else { continue }
                lineNumber += 1
                // why: the server keys line N `<key>:N` itself from the Idempotency-Key header.
                try stream.send(try publication(line: line, number: lineNumber, keyedByNumber: false))
            }
        }
        for id in result.ids ?? result.lastID.map({ [$0] }) ?? [] { print(id) }
        Console.progress("published \(result.count) events")
        Console.endProgress()
    }

    private func publication(line: String, number: Int, keyedByNumber: Bool = true) throws -> Publication {
        let value: JSONValue
        do {
            value = try JSONParser.parse(Array(line.utf8))
        } catch {
            throw CommandFailure("line \(number) is not JSON: \(error)")
        }
        guard case .string(let topic)? = value["topic"] ?? self.topic.map(JSONValue.string) else {
            throw CommandFailure("line \(number) has no \"topic\" (or give --topic)")
        }
        guard let data = value["data"] else { throw CommandFailure("line \(number) has no \"data\"") }
        var type: String?
        if case .string(let name)? = value["event"] { type = name }
        var key = keyedByNumber ? idempotencyKey.map { "\($0):\(number)" } : nil
        if case .string(let own)? = value["idempotencyKey"] { key = own }
        let payload: Publication.Payload = if case .string(let text) = data { .text(text) } else { .json(data.compactText) }
        return Publication(topic: topic, payload: payload, type: type ?? event, idempotencyKey: key)
    }

    /// `--data`: a file's text for `@path`, JSON when it parses as JSON, else text.
    private func payload(of argument: String) throws -> Publication.Payload {
        if argument.hasPrefix("@") {
            let path = String(argument.dropFirst())
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw CommandFailure("cannot read \(path)")
            }
            return .text(String(decoding: contents, as: UTF8.self))
        }
        if let value = try? JSONParser.parse(Array(argument.utf8)) {
            if case .string(let text) = value { return .text(text) }
            return .json(value.compactText)
        }
        return .text(argument)
    }
}

