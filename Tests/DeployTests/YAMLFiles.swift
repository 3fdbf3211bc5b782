import Foundation

/// Parses YAML files with /usr/bin/python3 and PyYAML, through `check_yaml.py` next to this file.
enum YAMLFiles {
    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    static let python = "/usr/bin/python3"
    static let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("check_yaml.py").path

    /// Whether PyYAML can be imported by /usr/bin/python3 (scripts/install-deps.sh installs python3-yaml).
    static var isAvailable: Bool {
        (try? run(["-c", "import yaml"]).status) == 0
    }

    /// Under `CI=true` the suites run, and fail if PyYAML is missing, instead of being skipped.
    static var isRequired: Bool {
        ExternalTool.isRequired
    }

    /// The documents of each file, keyed by its path relative to the repository root; throws PyYAML's message
    /// (with the line) if any file does not parse, or names a key twice in one mapping.
    static func documents(_ paths: [String]) throws -> [String: [YAMLValue]] {
        let result = try run([checker] + paths)
        guard result.status == 0 else {
            throw ParseError(description: "check_yaml.py exited \(result.status): \(String(decoding: result.error, as: UTF8.self))")
        }
        return try JSONDecoder().decode([String: [YAMLValue]].self, from: result.output)
    }

    /// The one document of a file that holds a single document.
    static func document(_ path: String) throws -> YAMLValue {
        let documents = try documents([path])[path] ?? []
        guard documents.count == 1, let document = documents.first else {
            throw ParseError(description: "\(path) holds \(documents.count) documents, not one")
        }
        return document
    }

    private static func run(_ arguments: [String]) throws -> (status: Int32, output: Data, error: Data) {
        try ExternalTool.run(python, arguments)
    }
}
