import Foundation

/// A systemd unit file read as systemd reads it: `[Section]` headers, `Key=value` lines, `#`/`;` comments,
/// continuation lines joined. A key may appear several times; each assignment is kept in order.
struct SystemdUnit {
    /// `(section, key) → values`, in file order.
    private var assignments: [String: [String]] = [:]

    init(text: String) {
        var section = ""
        var pending = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasSuffix("\\") {
                pending += trimmed.dropLast() + " "
                continue
            }
            let logical = pending + trimmed
            pending = ""
            if logical.hasPrefix("["), logical.hasSuffix("]") {
                section = String(logical.dropFirst().dropLast())
            } else if let equals = logical.firstIndex(of: "=") {
                let key = logical[..<equals].trimmingCharacters(in: .whitespaces)
                let value = logical[logical.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                assignments["\(section)/\(key)", default: []].append(value)
            }
        }
    }

    /// Every value assigned to `key` in `section`, in order.
    func values(_ section: String, _ key: String) -> [String] {
        assignments["\(section)/\(key)"] ?? []
    }

    /// The value that takes effect for a single-valued setting: the last one.
    func value(_ section: String, _ key: String) -> String? {
        values(section, key).last
    }

    /// The variables of every `Environment=` line (`NAME=value`, several per line, separated by blanks).
    var environment: [String: String] {
        Self.variables(values("Service", "Environment").flatMap { $0.split(whereSeparator: \.isWhitespace) })
    }

    /// The variables of an environment file: one `NAME=value` a line, `#` comments.
    static func environmentFile(_ text: String) -> [String: String] {
        variables(text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }.map { Substring($0) })
    }

    private static func variables(_ assignments: [Substring]) -> [String: String] {
        var variables: [String: String] = [:]
        for assignment in assignments {
            let parts = assignment.split(separator: "=", maxSplits: 1)
            variables[String(parts[0])] = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: ["\""]) : ""
        }
        return variables
    }
}
