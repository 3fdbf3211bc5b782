import Foundation
import HeraldClient
import NIOCore
import TestSupport
import Testing

/// Every script in examples/ runs as its README says, against a live `herald serve` (memory backend); the
/// browser page has its own test in FailoverTests (BrowserExampleTests), next to the other Chromium tests.
// why: serialized, so that its processes (a node, python, node, curl) do not add to the start of a parallel run.
@Suite("The examples work against a live node", .serialized, .timeLimit(.minutes(2)))
struct ExamplesTests {
    static let examples = HeraldNodeProcess.repository.appendingPathComponent("examples").path

    @Test("the curl session subscribes, publishes, and resumes exactly the events it missed")
    func curlSession() async throws {
        try await withNode { node in
            let run = try await ChildProcess.run("/bin/bash", ["bash", "\(Self.examples)/curl/session.sh"], environment: ["HERALD_URL": node.url])
            #expect(run.state == .exited(0), "\(run.output)")
            #expect(run.output.contains("data: {\"status\":\"paid\"}"))
            #expect(run.output.contains("exactly the two missed events, in order"))
        }
    }

    @Test("the Python publisher stores an event and prints the id a subscriber sees with it")
    func pythonPublisher() async throws {
        try await withNode { node in
            let stream = try await HeraldHTTPClient.openEventStream(port: node.port, path: "/events?topic=examples/py")
            let run = try await ChildProcess.run(
                "/usr/bin/python3", ["python3", "\(Self.examples)/python/publish.py", "--topic", "examples/py", "--data", #"{"n":1}"#, "--event", "tick"],
                environment: ["HERALD_URL": node.url]
            )
            #expect(run.state == .exited(0), "\(run.output)")
            let event = try #require(try await stream.events(1).first)
            #expect(event.type == "tick" && event.data == #"{"n":1}"#)
            #expect(run.output.split(separator: "\n").map(String.init) == [try #require(event.id)])
            await stream.close()
        }
    }

    @Test("the Python publisher sends NDJSON from stdin in batches and prints one id per event, in order")
    func pythonPublisherFromStdin() async throws {
        try await withNode { node in
            let stream = try await HeraldHTTPClient.openEventStream(port: node.port, path: "/events?topic=examples/nd")
            let lines = (1...150).map { #"{"topic":"examples/nd","data":\#($0)}"# }.joined(separator: "\n")
            let command = "printf '%s\\n' '\(lines)' | /usr/bin/python3 \(Self.examples)/python/publish.py --stdin"
            let run = try await ChildProcess.run("/bin/sh", ["sh", "-c", command], environment: ["HERALD_URL": node.url])
            #expect(run.state == .exited(0), "\(run.output.prefix(2_000))")
            let events = try await stream.events(150)
            #expect(events.map(\.data) == (1...150).map(String.init))
            #expect(run.output.split(separator: "\n").map(String.init) == events.compactMap(\.id))
            await stream.close()
        }
    }

    @Test("the Node publisher stores an event and prints its id")
    func nodePublisher() async throws {
        try await withNode { node in
            let stream = try await HeraldHTTPClient.openEventStream(port: node.port, path: "/events?topic=examples/node")
            let run = try await ChildProcess.run(
                Self.nodeExecutable, ["node", "\(Self.examples)/node/publish.mjs", "examples/node", "hello"], environment: ["HERALD_URL": node.url]
            )
            #expect(run.state == .exited(0), "\(run.output)")
            let event = try #require(try await stream.events(1).first)
            #expect(event.data == "hello")
            #expect(run.output.split(separator: "\n").map(String.init) == [try #require(event.id)])
            await stream.close()
        }
    }

    @Test("both publishers exit non-zero with the server's message when Herald refuses an event")
    func publishersReportRefusals() async throws {
        try await withNode { node in
            let python = try await ChildProcess.run(
                "/usr/bin/python3", ["python3", "\(Self.examples)/python/publish.py", "--topic", "bad\ttopic", "--data", "x"], environment: ["HERALD_URL": node.url]
            )
            #expect(python.state == .exited(1))
            #expect(python.output.contains("(400): topic contains the control character U+9"), "\(python.output)")
            let node = try await ChildProcess.run(
                Self.nodeExecutable, ["node", "\(Self.examples)/node/publish.mjs", "bad\ttopic", "x"], environment: ["HERALD_URL": node.url]
            )
            #expect(node.state == .exited(1))
            #expect(node.output.contains("(400): topic contains the control character U+9"), "\(node.output)")
        }
    }

    @Test("the Python and Node token streamers send an answer word by word in one request, ending with a done event", arguments: ["python", "node"])
    func tokenStreamers(language: String) async throws {
        try await withNode { node in
            let topic = "examples/answer-\(language)"
            let stream = try await HeraldHTTPClient.openEventStream(port: node.port, path: "/events?topic=" + TestNode.percentEncode(topic))
            let (executable, arguments) = language == "python"
                ? ("/usr/bin/python3", ["python3", "\(Self.examples)/python/stream_tokens.py"])
                : (Self.nodeExecutable, ["node", "\(Self.examples)/node/stream-tokens.mjs"])
            let run = try await ChildProcess.run(executable, arguments + [topic, "The answer is forty-two."], environment: ["HERALD_URL": node.url])
            #expect(run.state == .exited(0), "\(run.output)")
            let events = try await stream.events(5)
            #expect(events.map(\.data) == ["The", " answer", " is", " forty-two.", "[DONE]"])
            #expect(events[4].type == "done")
            #expect(run.output.contains("\"count\""), "\(run.output)")
            #expect(run.output.contains(try #require(events[4].id)), "the summary's last id is the done event's")
            await stream.close()
        }
    }

    @Test("the Flask hook lets a logged-in user read their own topics and rooms, and nobody else's")
    func flaskHook() async throws {
        let python = HeraldNodeProcess.repository.appendingPathComponent(".build/venv-examples/bin/python").path
        try #require(FileManager.default.isExecutableFile(atPath: python), "run scripts/install-deps.sh: it installs Flask in .build/venv-examples")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("examples-hook-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let hookPort = try await LoopbackPort.free()
        let hook = try ChildProcess.spawn(python, ["python", "\(Self.examples)/hook/app.py", "--port", "\(hookPort)"], logPath: directory + "/hook.log")
        defer { ChildProcess.terminate(hook) }
        try await LoopbackPort.waitUntilAccepting(hookPort, what: "the Flask hook", timeout: .seconds(30)) { ChildProcess.state(hook) == .running }
        let node = HeraldNodeProcess(
            name: "examples-hook", port: try await LoopbackPort.free(),
            arguments: ["--subscribe-auth-url", "http://127.0.0.1:\(hookPort)/herald/auth"], logDirectory: directory
        )
        try await node.start()
        defer { node.stop() }
        let login = try await HeraldHTTPClient.request(
            port: hookPort, method: .POST, path: "/login", headers: [("content-type", "application/x-www-form-urlencoded")],
            body: ByteBuffer(string: "user=alice")
        )
        #expect(login.status == 200, "\(login.bodyText)")
        let cookie = String(try #require(login.header("set-cookie"), "no session cookie").split(separator: ";")[0])
        let stream = try await HeraldHTTPClient.openEventStream(port: node.port, path: "/events?topic=user/alice&topic=room/1", headers: [("Cookie", cookie)])
        #expect(stream.status == 200)
        let published = try await HeraldHTTPClient.request(
            port: node.port, method: .POST, path: "/publish", headers: [("content-type", "application/json")],
            body: ByteBuffer(string: #"{"topic":"room/1","data":"hello room"}"#)
        )
        #expect(published.status == 200, "\(published.bodyText)")
        #expect(try await stream.nextEvent(timeout: .seconds(10))?.data == "hello room")
        await stream.close()
        let others = try await HeraldHTTPClient.request(port: node.port, path: "/events?topic=user/bob", headers: [("Cookie", cookie)])
        #expect(others.status == 403 && others.bodyText.contains("user/bob"), "\(others.bodyText)")
        let anonymous = try await HeraldHTTPClient.request(port: node.port, path: "/events?topic=user/alice")
        #expect(anonymous.status == 401 && anonymous.bodyText.contains("not logged in"), "\(anonymous.bodyText)")
    }

    static let nodeExecutable = ["/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    } ?? "/usr/bin/node"

    /// Runs `body` with a fresh memory-backed node on a free port, then stops it.
    private func withNode(_ body: (HeraldNodeProcess) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("examples-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let node = HeraldNodeProcess(name: "examples", port: try await LoopbackPort.free(), arguments: [], logDirectory: directory)
        try await node.start()
        defer { node.stop() }
        try await body(node)
    }
}
