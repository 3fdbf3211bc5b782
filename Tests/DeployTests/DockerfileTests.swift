import Foundation
import Testing

/// deploy/Dockerfile, read as text: there is no Docker engine to build it here.
@Suite("deploy/Dockerfile", .timeLimit(.minutes(1)))
struct DockerfileTests {
    let dockerfile: Dockerfile
    let build: Dockerfile.Stage
    let runtime: Dockerfile.Stage

    init() throws {
        dockerfile = Dockerfile(text: try Repository.text("deploy/Dockerfile"))
        try #require(dockerfile.stages.count >= 2, "a build stage and a runtime stage")
        build = dockerfile.stages[0]
        runtime = dockerfile.stages[dockerfile.stages.count - 1]
    }

    @Test("the build runs in a Swift image and the runtime stage is a slim image with libhiredis and no toolchain")
    func stages() throws {
        #expect(build.image.hasPrefix("swift:"))
        #expect(build.all("RUN").contains { $0.arguments.contains("--static-swift-stdlib") && $0.arguments.contains("--product herald") })
        #expect(!runtime.image.hasPrefix("swift"))
        #expect(runtime.all("RUN").contains { $0.arguments.contains("libhiredis") })
        let buildName = try #require(build.name, "the build stage is named, for COPY --from")
        #expect(runtime.all("COPY").contains { $0.words.contains("--from=\(buildName)") })
    }

    @Test("the build stage copies every path Package.swift needs, and every copied path exists")
    func copiedPaths() throws {
        let manifest = try Repository.text("Package.swift")
        // SwiftPM checks every target's directory before building any product, test targets included.
        var needed: Set<String> = ["Package.swift", "Sources"]
        if manifest.contains(".testTarget(") { needed.insert("Tests") }
        for match in manifest.matches(of: /path:\s*"([^"\/]+)/) { needed.insert(String(match.output.1)) }

        var copied: Set<String> = []
        for stage in dockerfile.stages {
            for copy in stage.all("COPY") + stage.all("ADD") where !copy.words.contains(where: { $0.hasPrefix("--from=") }) {
                let sources = copy.words.filter { !$0.hasPrefix("--") }.dropLast()
                for source in sources {
                    #expect(Repository.contains(source), "COPY \(source): no such path in the repository")
                    copied.insert(source.hasPrefix("./") ? String(source.dropFirst(2)) : source)
                }
            }
        }
        #expect(needed.subtracting(copied).isEmpty, "the build stage misses \(needed.subtracting(copied).sorted())")
    }

    @Test("the image runs herald serve from PATH as a non-root user and stops it with SIGTERM")
    func entrypoint() throws {
        let entrypoint = try #require(runtime.all("ENTRYPOINT").last)
        let arguments = try? JSONDecoder().decode([String].self, from: Data(entrypoint.arguments.utf8))
        #expect(arguments == ["herald", "serve"], "in exec form, so that herald itself receives SIGTERM, not a shell")
        #expect(try Repository.text("Sources/herald/ServeCommand.swift").contains("commandName: \"serve\""))
        let installed = runtime.all("COPY").compactMap { $0.words.last }
        #expect(installed.contains("/usr/local/bin/herald"), "herald must be on the default PATH")

        let user = try #require(runtime.all("USER").last?.arguments)
        let name = user.split(separator: ":").first.map(String.init) ?? ""
        #expect(!["", "root", "0"].contains(name))
        #expect(runtime.all("STOPSIGNAL").last?.arguments == "SIGTERM")
    }

    @Test("the exposed port is the port herald listens on, on every interface, and the healthcheck asks herald")
    func port() throws {
        let environment = runtime.environment
        let port = try #require(environment["HERALD_PORT"])
        #expect(runtime.all("EXPOSE").map(\.arguments) == [port])
        #expect(environment["HERALD_HOST"] == "0.0.0.0", "a container reached from outside listens on every interface")
        let healthcheck = try #require(runtime.all("HEALTHCHECK").last?.arguments)
        #expect(healthcheck.contains("/healthz") || healthcheck.contains("/readyz"))
        #expect(["${HERALD_PORT}", "$HERALD_PORT", ":\(port)/"].contains { healthcheck.contains($0) })
    }

    @Test("every HERALD_ variable the image sets is documented in docs/configuration.md")
    func documentedVariables() throws {
        let names = dockerfile.stages.flatMap { $0.environment.keys }
        #expect(names.contains("HERALD_PORT"))
        #expect(try Repository.undocumented(names).isEmpty)
    }
}
