import Foundation
import HeraldClient
import TestSupport
import Testing

/// `herald publish`, `tail`, `token` and `topic` as a user runs them, against a live `herald serve`.
// why: serialized, so that its processes (a node and a client each) do not add to the start of a parallel run.
@Suite("The herald command line", .serialized, .timeLimit(.minutes(2)))
struct CommandLineTests {
    static let secret = "command-line-test-secret-0123456789abcdef"

    @Test("herald publish prints the id of the event a subscriber receives")
    func publishOne() async throws {
        try await withNode { node in
            let stream = try await HeraldHTTPClient.openEventStream(port: node.port, path: "/events?topic=cli/one")
            let run = try await herald(["publish", "--topic", "cli/one", "--data", #"{"status":"paid"}"#, "--event", "order.updated"], node)
            #expect(run.state == .exited(0), "\(run.output)")
            let event = try #require(try await stream.events(1).first)
            #expect(event.type == "order.updated" && event.data == #"{"status":"paid"}"#)
            #expect(run.output == (event.id ?? "") + "\n")
            await stream.close()
        }
    }

    @Test("herald publish - sends NDJSON from stdin in order, topics from the lines or --topic, and prints every id")
    func publishFromStdin() async throws {
        try await withNode { node in
            let stream = try await HeraldHTTPClient.openEventStream(port: node.port, path: "/events?topic=cli/nd")
            let lines = (1...700).map { $0 % 2 == 0 ? #"{"topic":"cli/nd","data":\#($0)}"# : #"{"data":"n\#($0)"}"# }.joined(separator: "\n")
            let command = "printf '%s\\n' '\(lines)' | \(HeraldNodeProcess.binary) publish - --topic cli/nd"
            let run = try await ChildProcess.run("/bin/sh", ["sh", "-c", command], environment: ["HERALD_URL": node.url])
            #expect(run.state == .exited(0), "\(run.output.prefix(500))")
            let events = try await stream.events(700)
            #expect(events.map(\.data) == (1...700).map { $0 % 2 == 0 ? "\($0)" : "n\($0)" })
            #expect(run.output.split(separator: "\n").map(String.init) == events.compactMap(\.id))
            await stream.close()
        }
    }

    @Test("herald publish --stream - sends stdin as one streaming request, each line delivered while the pipe is open")
    func publishStream() async throws {
        try await withNode { node in
            let stream = try await HeraldHTTPClient.openEventStream(port: node.port, path: "/events?topic=cli/answer")
            // why: the pipe stays open after the first token until the subscriber saw it, proving lines go out as read.
            let seen = FileManager.default.temporaryDirectory.appendingPathComponent("herald-cli-stream-\(UUID().uuidString)").path
            let command = """
                { echo '{"data":"first"}'; while [ ! -e \(seen) ]; do sleep 0.05; done; echo '{"data":"done","event":"end"}'; } \
                | \(HeraldNodeProcess.binary) publish --stream --topic cli/answer -
                """
            async let run = ChildProcess.run("/bin/sh", ["sh", "-c", command], environment: ["HERALD_URL": node.url])
            let first = try #require(try await stream.events(1).first)
            #expect(first.data == "first")
            FileManager.default.createFile(atPath: seen, contents: nil)
            let last = try #require(try await stream.events(1).first)
            #expect(last.data == "done" && last.type == "end")
            let result = try await run
            #expect(result.state == .exited(0), "\(result.output)")
            #expect(result.output.split(separator: "\n").map(String.init) == [first.id, last.id].compactMap { $0 })
            try? FileManager.default.removeItem(atPath: seen)
            await stream.close()
        }
    }

    @Test("herald publish exits 1 with the server's message when the event is refused, and names a bad NDJSON line")
    func publishRefused() async throws {
        try await withNode { node in
            let refused = try await herald(["publish", "--topic", "bad\ttopic", "--data", "x"], node)
            #expect(refused.state == .exited(1))
            #expect(refused.output.contains("topic contains the control character U+9"), "\(refused.output)")
            let command = "printf '%s\\n' '{\"topic\":\"t\",\"data\":1}' 'not json' | \(HeraldNodeProcess.binary) publish -"
            let badLine = try await ChildProcess.run("/bin/sh", ["sh", "-c", command], environment: ["HERALD_URL": node.url])
            #expect(badLine.state == .exited(1))
            #expect(badLine.output.contains("line 2 is not JSON"), "\(badLine.output)")
        }
    }

    @Test("herald tail prints events from a given id, as JSON lines with --json, and stops after --count")
    func tail() async throws {
        try await withNode { node in
            let start = try await Herald(server: node.url).publish(Publication(topic: "cli/tail", text: "before"))
            async let tail = herald(["tail", "--topic", "cli/tail", "--last-event-id", start, "--json", "--count", "2"], node)
            let ids = try await Herald(server: node.url).publish([
                Publication(topic: "cli/tail", text: "first"), Publication(topic: "cli/tail", text: "line one\nline two", type: "note"),
            ])
            let run = try await tail
            #expect(run.state == .exited(0), "\(run.output)")
            let lines = run.output.split(separator: "\n").map(String.init)
            #expect(lines == [
                #"{"data":"first","event":"message","id":"\#(ids[0])"}"#,
                #"{"data":"line one\nline two","event":"note","id":"\#(ids[1])"}"#,
            ])
        }
    }

    @Test("herald token mints a token that the node accepts for the topics it grants, and only those")
    func token() async throws {
        try await withNode(["--subscriber-jwt-key", Self.secret]) { node in
            let minted = try await ChildProcess.run(
                HeraldNodeProcess.binary, ["herald", "token", "--subscribe", "orders/*", "--ttl", "10m"],
                environment: ["HERALD_SUBSCRIBER_JWT_KEY": Self.secret]
            )
            #expect(minted.state == .exited(0), "\(minted.output)")
            let token = minted.output.trimmingCharacters(in: .whitespacesAndNewlines)
            let allowed = try await HeraldHTTPClient.openEventStream(port: node.port, path: "/events?topic=orders/42&access_token=\(token)")
            #expect(allowed.status == 200)
            await allowed.close()
            let forbidden = try await HeraldHTTPClient.request(port: node.port, path: "/events?topic=users/7&access_token=\(token)")
            #expect(forbidden.status == 403)
            let short = try await ChildProcess.run(HeraldNodeProcess.binary, ["herald", "token", "--subscribe", "a", "--key", "short"])
            #expect(short.state == .exited(1))
            #expect(short.output.contains("use at least 32"), "\(short.output)")
        }
    }

    @Test("herald topic prints what the node says of a topic as readable lines")
    func topic() async throws {
        try await withNode { node in
            let first = try await Herald(server: node.url).publish(Publication(topic: "cli/topic one", text: "a"))
            let last = try await Herald(server: node.url).publish(Publication(topic: "cli/topic one", text: "b"))
            let stream = try await HeraldHTTPClient.openEventStream(port: node.port, path: "/events?topic=cli%2Ftopic%20one")
            let run = try await herald(["topic", "cli/topic one"], node)
            #expect(run.state == .exited(0), "\(run.output)")
            let lines = run.output.split(separator: "\n").map(String.init)
            #expect(lines.count == 6, "\(run.output)")
            #expect(lines.first == "topic        cli/topic one")
            #expect(lines.contains("retained     2 events") && lines.contains("first id     \(first)") && lines.contains("last id      \(last)"), "\(run.output)")
            #expect(lines.last == "subscribers  1 (1 on this node, 1 node reporting)", "\(run.output)")
            let fresh = try await herald(["topic", ".."], node)
            #expect(fresh.output.contains("topic        ..") && fresh.output.contains("retained     0 events") && fresh.output.contains("first id     none"), "\(fresh.output)")
            await stream.close()
        }
    }

    @Test("herald topic exits 1 with one line for a bad topic and for a server that is not there")
    func topicFailures() async throws {
        try await withNode { node in
            let bad = try await herald(["topic", "bad\ttopic"], node)
            #expect(bad.state == .exited(1))
            #expect(bad.output.contains("topic contains the control character U+9"), "\(bad.output)")
            #expect(bad.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(bad.output)")
        }
        let unused = try await LoopbackPort.free()
        let unreachable = try await ChildProcess.run(HeraldNodeProcess.binary, ["herald", "topic", "t", "--server", "http://127.0.0.1:\(unused)"])
        #expect(unreachable.state == .exited(1))
        #expect(unreachable.output.contains("could not reach http://127.0.0.1:\(unused)"), "\(unreachable.output)")
        #expect(unreachable.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(unreachable.output)")
        let version = try await ChildProcess.run(HeraldNodeProcess.binary, ["herald", "--version"])
        #expect(version.state == .exited(0) && version.output.wholeMatch(of: /\d+\.\d+\.\d+\n/) != nil, "\(version.output)")
    }

    @Test("herald serve --log-format json writes one JSON object a line with the fixed keys, the metadata and the access lines")
    func jsonLogs() async throws {
        try await withNode(["--log-format", "json"]) { node in
            let path = "\(node.logDirectory)/\(node.name).1.log"
            _ = try await HeraldHTTPClient.request(port: node.port, path: "/healthz", headers: [("X-Request-Id", "cli-json-1")])
            // why: the access line is written after the response; poll the file for it, with a deadline.
            let deadline = ContinuousClock.now + .seconds(10)
            while try !String(contentsOfFile: path, encoding: .utf8).contains("cli-json-1"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            #expect(lines.count >= 2, "\(lines)")
            var messages: [String: [String: String]] = [:]
            for line in lines {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], "\(line)")
                #expect(["time", "level", "label", "message", "source"].allSatisfy { object[$0] != nil }, "\(line)")
                #expect(object["time"]?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(line)")
                messages[object["message"] ?? ""] = object
            }
            #expect(messages["listening"]?["herald.address"]?.contains("127.0.0.1") == true, "\(messages.keys)")
            #expect(messages["request"]?["herald.request.id"] == "cli-json-1", "\(messages["request"] ?? [:])")
            #expect(messages["request"]?["herald.response.status"] == "200")
        }
        let badSwitch = try await ChildProcess.run(HeraldNodeProcess.binary, ["herald", "serve", "--port", "0", "--access-log", "maybe"])
        #expect(badSwitch.output.contains("--access-log / HERALD_ACCESS_LOG: \"maybe\" is not a switch; use on or off"), "\(badSwitch.output)")
        let refused = try await ChildProcess.run(HeraldNodeProcess.binary, ["herald", "serve", "--port", "0", "--log-format", "xml"])
        #expect(refused.state != .running && refused.state != .exited(0))
        #expect(refused.output.contains("--log-format / HERALD_LOG_FORMAT: \"xml\" is not a format; use text or json"), "\(refused.output)")
    }

    @Test("herald serve serves the dashboard at / by default, and --dashboard off turns it off")
    func dashboardFlag() async throws {
        try await withNode { node in
            #expect(await node.status("/") == 200)
        }
        try await withNode(["--dashboard", "off"]) { node in
            #expect(await node.status("/") == 404)
        }
        let refused = try await ChildProcess.run(HeraldNodeProcess.binary, ["herald", "serve", "--port", "0", "--dashboard", "maybe"])
        #expect(refused.state != .running && refused.state != .exited(0))
        #expect(refused.output.contains("--dashboard / HERALD_DASHBOARD: \"maybe\" is not a switch; use on or off"), "\(refused.output)")
    }

    /// How `herald bench`'s subscribers reach the node, and what the node needs for it.
    enum BenchTransport: String, CaseIterable, CustomTestStringConvertible {
        case http1, http1TLS, h2c, h2
        var testDescription: String { rawValue }
        var tls: Bool { self == .http1TLS || self == .h2 }
        var http2: Bool { self == .h2c || self == .h2 }
    }

    @Test("herald bench loads a node over HTTP/1.1, TLS, h2c and h2: every subscriber gets every event", arguments: BenchTransport.allCases)
    func benchOverEachTransport(_ transport: BenchTransport) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (port, publishPort) = try await (LoopbackPort.free(), LoopbackPort.free())
        var arguments = ["--publish-port", "\(publishPort)"]
        if transport.tls {
            let certificate = try TestCertificateAuthority(directory: directory).issue("node")
            arguments += ["--tls-cert", certificate.chainPath, "--tls-key", certificate.keyPath]
        } else if transport.http2 {
            arguments += ["--h2c", "on"]
        }
        // why: a node without --h2c (or TLS without h2) would refuse the bench's HTTP/2 preface, so the run would fail.
        let node = HeraldNodeProcess(
            name: "bench", port: port, arguments: arguments, logDirectory: directory,
            readiness: { port in await LoopbackPort.accepts(port) ? 200 : nil }
        )
        try await node.start()
        defer { node.stop() }
        var bench = [
            "bench", "--url", "\(transport.tls ? "https" : "http")://127.0.0.1:\(port)", "--publish-url", "http://127.0.0.1:\(publishPort)",
            "--subscribers", "150", "--topics", "3", "--rate", "30", "--duration", "2", "--settle", "0", "--drain", "10", "--json",
        ]
        if transport.http2 { bench += ["--http2-streams", "40"] }
        let run = try await ChildProcess.run(HeraldNodeProcess.binary, ["herald"] + bench, environment: [:])
        #expect(run.state == .exited(0), "\(run.output.suffix(500))")
        let json = String(run.output[try #require(run.output.firstIndex(of: "{"), "\(run.output.suffix(500))")...])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let connect = try #require(report["connect"] as? [String: Any])
        let delivery = try #require(report["delivery"] as? [String: Any], "\(json.prefix(500))")
        #expect(connect["connected"] as? Int == 150, "\(connect)")
        // why: what was expected depends on how much the loaded box published in 2 s; what is checked is that
        // every subscriber got all of it.
        #expect((delivery["expected"] as? Int ?? 0) > 0, "\(delivery)")
        #expect(delivery["missing"] as? Int == 0 && delivery["gaps"] as? Int == 0 && delivery["duplicates"] as? Int == 0, "\(delivery)")
    }

    private func herald(_ arguments: [String], _ node: HeraldNodeProcess) async throws -> ChildProcess.Outcome {
        try await ChildProcess.run(HeraldNodeProcess.binary, ["herald"] + arguments, environment: ["HERALD_URL": node.url])
    }

    /// Runs `body` with a fresh memory-backed node on a free port, then stops it.
    private func withNode(_ arguments: [String] = [], _ body: (HeraldNodeProcess) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let node = HeraldNodeProcess(name: "cli", port: try await LoopbackPort.free(), arguments: arguments, logDirectory: directory)
        try await node.start()
        defer { node.stop() }
        try await body(node)
    }
}
