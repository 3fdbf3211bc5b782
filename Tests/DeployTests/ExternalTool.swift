import Foundation

/// Runs a program of the machine (python3, dot) from the repository root and collects what it printed.
enum ExternalTool {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func isInstalled(_ path: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: path)
    }

    /// Under `CI=true` suites that need a tool run, and fail if it is missing, instead of being skipped.
    static var isRequired: Bool {
        ProcessInfo.processInfo.environment["CI"] == "true"
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: Data, error: Data) {
        // why: stderr goes to a file, so that the child can never block on a full pipe that nobody reads.
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("external-tool-\(UUID().uuidString).err")
        guard FileManager.default.createFile(atPath: errorPath.path, contents: nil) else {
            throw Failure(description: "cannot create \(errorPath.path) for the messages of \(executable)")
        }
        defer { try? FileManager.default.removeItem(at: errorPath) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = Repository.root
        let output = Pipe()
        process.standardOutput = output
        let errorFile = try FileHandle(forWritingTo: errorPath)
        defer { try? errorFile.close() }
        process.standardError = errorFile
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, outputData, (try? Data(contentsOf: errorPath)) ?? Data())
    }
}
