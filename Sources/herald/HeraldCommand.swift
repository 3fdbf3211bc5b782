import ArgumentParser
import HeraldCore

@main
struct HeraldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "A horizontally scaled Server-Sent Events broker on Redis.",
        version: HeraldVersion.current,
        subcommands: [ServeCommand.self, PublishCommand.self, TailCommand.self, TokenCommand.self, TopicCommand.self, BenchCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
