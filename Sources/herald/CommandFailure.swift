/// A command's failure, printed by ArgumentParser as `Error: <message>` with exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ message: String) {
        description = message
    }
}
