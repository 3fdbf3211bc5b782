import Foundation
import Testing

/// deploy/systemd/herald.service and its example environment file, read as text.
@Suite("deploy/systemd", .timeLimit(.minutes(1)))
struct SystemdUnitTests {
    let unit: SystemdUnit
    /// deploy/systemd/herald.env, the example of the unit's EnvironmentFile.
    let environmentFile: [String: String]

    init() throws {
        unit = SystemdUnit(text: try Repository.text("deploy/systemd/herald.service"))
        environmentFile = SystemdUnit.environmentFile(try Repository.text("deploy/systemd/herald.env"))
    }

    /// What herald sees: the unit's Environment=, overridden by the EnvironmentFile (systemd reads it later).
    var environment: [String: String] {
        unit.environment.merging(environmentFile) { _, fromFile in fromFile }
    }

    @Test("ExecStart runs herald serve once the network is up")
    func execStart() throws {
        let command = try #require(unit.value("Service", "ExecStart")).split(separator: " ")
        #expect(command.first?.hasSuffix("/herald") == true)
        #expect(command.first?.hasPrefix("/") == true, "systemd needs an absolute path")
        #expect(command.dropFirst().first == "serve")
        #expect(try Repository.text("Sources/herald/ServeCommand.swift").contains("commandName: \"serve\""))
        #expect(unit.value("Service", "Type") == "exec")
        #expect(unit.values("Unit", "After").joined(separator: " ").contains("network-online.target"))
        #expect(unit.values("Unit", "Wants").joined(separator: " ").contains("network-online.target"))
        #expect(unit.value("Install", "WantedBy") == "multi-user.target")
    }

    @Test("SIGTERM starts the drain, and systemd waits longer than the drain before SIGKILL")
    func stopTimeout() throws {
        #expect(unit.value("Service", "KillSignal") == "SIGTERM")
        let budget = try DrainBudget(environment: environment)
        let text = try #require(unit.value("Service", "TimeoutStopSec"), "the default 90s would do, but say it")
        let timeout = try #require(DrainBudget.stopTimeout(text))
        #expect(timeout > budget.total, "TimeoutStopSec=\(text) does not exceed drain grace + window")
        #expect(unit.value("Service", "Restart") == "on-failure")
    }

    @Test("every variable the unit and its example environment file set is documented in docs/configuration.md")
    func documentedVariables() throws {
        #expect(try Repository.undocumented(unit.environment.keys).isEmpty)
        #expect(try Repository.undocumented(environmentFile.keys).isEmpty)
        #expect(environmentFile.keys.allSatisfy { $0.hasPrefix("HERALD_") })
        let file = try #require(unit.value("Service", "EnvironmentFile"))
        #expect(file.hasSuffix("/herald.env"), "deploy/systemd/herald.env is the example of \(file)")
    }

    @Test("the service runs as an unprivileged dynamic user, hardened, with room for many open streams")
    func hardening() throws {
        #expect(unit.value("Service", "DynamicUser") == "yes")
        #expect(unit.value("Service", "User") == nil)
        #expect(unit.value("Service", "NoNewPrivileges") == "yes")
        #expect(unit.value("Service", "ProtectSystem") == "strict")
        #expect(unit.value("Service", "ProtectHome") == "yes")
        #expect(unit.value("Service", "PrivateTmp") == "yes")
        #expect(unit.value("Service", "CapabilityBoundingSet") == "")
        // One file descriptor per open stream.
        let files = try #require(unit.value("Service", "LimitNOFILE").flatMap { Int($0.split(separator: ":").last ?? "") })
        #expect(files >= 65536)
    }
}
