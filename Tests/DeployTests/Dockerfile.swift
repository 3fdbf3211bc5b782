import Foundation

/// deploy/Dockerfile read as the builder reads it: continuation lines joined, comments dropped, split into stages.
struct Dockerfile {
    struct Instruction {
        /// Upper-cased, like `FROM` or `COPY`.
        var keyword: String
        var arguments: String

        /// The arguments split on blanks (enough for the forms used here: no quoted blanks).
        var words: [String] {
            arguments.split(whereSeparator: \.isWhitespace).map(String.init)
        }
    }

    struct Stage {
        /// `FROM image [AS name]`.
        var image: String
        var name: String?
        var instructions: [Instruction]

        func all(_ keyword: String) -> [Instruction] {
            instructions.filter { $0.keyword == keyword }
        }

        /// The variables set by `ENV NAME=value …` (or the legacy `ENV NAME value`).
        var environment: [String: String] {
            var environment: [String: String] = [:]
            for instruction in all("ENV") {
                let words = instruction.words
                if words.count == 2, !words[0].contains("=") {
                    environment[words[0]] = words[1]
                } else {
                    for pair in words {
                        let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                        environment[parts[0]] = parts.count > 1 ? parts[1].trimmingCharacters(in: ["\""]) : ""
                    }
                }
            }
            return environment
        }
    }

    var stages: [Stage]

    init(text: String) {
        var logical: [String] = []
        var pending = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            // Comment lines are dropped, also inside a continued instruction (as the builder does).
            if trimmed.hasPrefix("#") || (trimmed.isEmpty && pending.isEmpty) { continue }
            if trimmed.hasSuffix("\\") {
                pending += trimmed.dropLast() + " "
            } else {
                logical.append(pending + trimmed)
                pending = ""
            }
        }
        var stages: [Stage] = []
        for line in logical where !line.isEmpty {
            let parts = line.split(separator: " ", maxSplits: 1)
            let instruction = Instruction(keyword: parts[0].uppercased(), arguments: parts.count > 1 ? String(parts[1]) : "")
            if instruction.keyword == "FROM" {
                let words = instruction.words.filter { !$0.hasPrefix("--") }
                let name = words.count >= 3 && words[1].uppercased() == "AS" ? words[2] : nil
                stages.append(Stage(image: words.first ?? "", name: name, instructions: []))
            } else if !stages.isEmpty {
                stages[stages.count - 1].instructions.append(instruction)
            }
        }
        self.stages = stages
    }
}
