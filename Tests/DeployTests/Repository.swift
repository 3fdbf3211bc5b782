import Foundation

/// The repository these tests run in: its files, and the settings docs/configuration.md documents.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func url(_ path: String) -> URL {
        root.appendingPathComponent(path)
    }

    static func text(_ path: String) throws -> String {
        try String(contentsOf: url(path), encoding: .utf8)
    }

    /// Whether `path`, relative to the repository root, names an existing file or directory.
    static func contains(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: url(path).standardizedFileURL.path)
    }

    /// The variables of the settings table in docs/configuration.md (second column).
    static func documentedVariables() throws -> Set<String> {
        let rows = try text("docs/configuration.md").split(separator: "\n")
        let documented = rows.compactMap { $0.firstMatch(of: /^\|\s*`--[a-z0-9-]+`\s*\|\s*`(HERALD_[A-Z0-9_]+)`\s*\|/)?.output.1 }
        return Set(documented.map(String.init))
    }

    /// The `HERALD_*` names among `names` that docs/configuration.md does not document.
    static func undocumented(_ names: some Sequence<String>) throws -> Set<String> {
        let documented = try documentedVariables()
        return Set(names.filter { $0.hasPrefix("HERALD_") && !documented.contains($0) })
    }
}
