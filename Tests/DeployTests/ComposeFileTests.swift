import Foundation
import Testing

/// docker-compose.yml, parsed but never run: there is no Docker engine here.
@Suite(
    "docker-compose.yml",
    .timeLimit(.minutes(1)),
    .enabled(if: YAMLFiles.isAvailable || YAMLFiles.isRequired, "/usr/bin/python3 with PyYAML is missing (scripts/install-deps.sh)")
)
struct ComposeFileTests {
    let services: [String: YAMLValue]
    let edges: [String]
    let compose: YAMLValue

    init() throws {
        compose = try YAMLFiles.document("docker-compose.yml")
        services = try #require(compose["services"]?.object)
        edges = services.keys.filter { $0.hasPrefix("herald-") }.sorted()
    }

    @Test("Redis, three Herald edges and one load balancer are defined")
    func servicesExist() {
        #expect(Set(services.keys).isSuperset(of: ["redis", "lb"]))
        #expect(edges == ["herald-1", "herald-2", "herald-3"])
    }

    @Test("every build context, Dockerfile and bind-mounted host path exists, and every named volume is declared")
    func referencedFiles() throws {
        let declaredVolumes = Set(compose["volumes"]?.object.map { Array($0.keys) } ?? [])
        for (name, service) in services {
            if let build = service["build"] {
                let context = build.string ?? build["context"]?.string ?? "."
                #expect(Repository.contains(context), "\(name): build context \(context) does not exist")
                let dockerfile = "\(context)/\(build["dockerfile"]?.string ?? "Dockerfile")"
                #expect(Repository.contains(dockerfile), "\(name): \(dockerfile) does not exist")
            }
            for volume in service["volumes"]?.array ?? [] {
                let source = volume.string.map { String($0.prefix { $0 != ":" }) } ?? volume["source"]?.string ?? ""
                if source.hasPrefix(".") || source.hasPrefix("/") {
                    #expect(Repository.contains(source), "\(name): bind mount \(source) does not exist")
                } else {
                    #expect(declaredVolumes.contains(source), "\(name): volume \(source) is not declared under volumes:")
                }
            }
        }
    }

    @Test("Redis 7 keeps an append-only file synced every second, on a volume, and has a healthcheck")
    func redisPersistence() throws {
        let redis = try #require(services["redis"])
        let image = try #require(redis["image"]?.string)
        let major = image.firstMatch(of: /^redis:(\d+)/).flatMap { Int($0.output.1) }
        #expect((major ?? 0) >= 7, "herald needs Redis 7.0 or newer, not \(image)")
        let command = redis["command"]?.array?.compactMap(\.scalarText).joined(separator: " ") ?? redis["command"]?.string ?? ""
        #expect(command.contains("--appendonly yes"))
        #expect(command.contains("--appendfsync everysec"))
        #expect(redis["volumes"]?.array?.contains { $0.string?.hasSuffix(":/data") == true } == true)
        let check = redis["healthcheck"]?["test"]?.array?.compactMap(\.string) ?? []
        #expect(check.contains("redis-cli") && check.contains("ping"))
    }

    @Test("every edge builds the image, uses the Redis service, waits for it to be healthy and outlives its drain on stop")
    func edgeServices() throws {
        for name in edges {
            let edge = try #require(services[name])
            #expect(edge["build"]?["dockerfile"]?.string == "deploy/Dockerfile")
            let environment = edge["environment"]?.environment ?? [:]
            let redisURL = try #require(environment["HERALD_REDIS_URL"].flatMap(URL.init(string:)))
            let redisHost = try #require(redisURL.host)
            #expect(redisURL.scheme == "redis")
            #expect(services[redisHost] != nil, "\(name): HERALD_REDIS_URL names \(redisHost), which is no service")
            #expect(edge["depends_on"]?[redisHost]?["condition"]?.string == "service_healthy")
            #expect(edge["ports"] == nil, "\(name) is reached through the load balancer only")

            let budget = try DrainBudget(environment: environment)
            let stopText = try #require(edge["stop_grace_period"]?.string, "\(name): the default 10s is too short to drain")
            let stop = try #require(DrainBudget.stopTimeout(stopText))
            #expect(stop > budget.total, "\(name): stop_grace_period \(stopText) does not exceed drain grace + window")
        }
    }

    @Test("only the load balancer publishes a port, and it routes to edges on the port they listen on")
    func loadBalancer() throws {
        let lb = try #require(services["lb"])
        let ports = try #require(lb["ports"]?.array)
        #expect(ports.count == 1)
        #expect(services.filter { $0.key != "lb" && $0.value["ports"] != nil }.isEmpty)
        let mapping = try #require(ports.first?.string, "quoted \"host:container\", or YAML 1.1 may read it as a number")
        let containerPort = try #require(mapping.split(separator: ":").last.map(String.init))
        let dependencies = lb["depends_on"]?.array?.compactMap(\.string) ?? lb["depends_on"]?.object.map { Array($0.keys) } ?? []
        #expect(Set(dependencies) == Set(edges))

        let configPath = try #require(lb["volumes"]?.array?.compactMap(\.string).first?.split(separator: ":").first.map(String.init))
        let config = try Repository.text(configPath)
        let edgePort = Dockerfile(text: try Repository.text("deploy/Dockerfile")).stages.last?.environment["HERALD_PORT"] ?? "8080"
        // A line `server [name] host:port …` in HAProxy and nginx alike (not `nameserver`, nor nginx's `server {`).
        let serverLine = /^[ \t]*server[ \t]+(?:\S+[ \t]+)?([A-Za-z0-9_.-]+):(\d+)/.anchorsMatchLineEndings()
        let upstreams = config.matches(of: serverLine).map { "\($0.output.1):\($0.output.2)" }
        #expect(!upstreams.isEmpty, "\(configPath) names no upstream server")
        for upstream in upstreams {
            #expect(edges.map { "\($0):\(edgePort)" }.contains(upstream), "\(configPath) routes to \(upstream), which is no edge on port \(edgePort)")
        }
        let listens = try Regex("(bind|listen)\\s+(\\S*:)?\(containerPort)\\b")
        #expect(config.contains(listens), "\(configPath) does not listen on \(containerPort)")
    }

    @Test("every HERALD_ variable the services set is documented in docs/configuration.md")
    func documentedVariables() throws {
        let names = services.values.flatMap { $0["environment"].map { Array($0.environment.keys) } ?? [] }
        #expect(names.contains("HERALD_REDIS_URL"))
        #expect(try Repository.undocumented(names).isEmpty)
    }
}
