import ArgumentParser

@main
struct HeraldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "A horizontally scaled Server-Sent Events broker on Redis.",
        subcommands: [ServeCommand.self, PublishCommand.self, TailCommand.self, TokenCommand.self, BenchCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
