import Foundation
import Testing

/// docs/ stays true to itself: every relative link resolves, and every diagram is the one its source makes.
@Suite("Documentation files", .timeLimit(.minutes(1)))
struct DocsTests {
    static let dot = "/usr/bin/dot"
    static let markdownFiles: [String] = {
        let docs = (FileManager.default.enumerator(atPath: Repository.url("docs").path)?.allObjects as? [String]) ?? []
        let examples = (FileManager.default.enumerator(atPath: Repository.url("examples").path)?.allObjects as? [String]) ?? []
        return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.map { "docs/" + $0 }
            + examples.filter { $0.hasSuffix(".md") }.map { "examples/" + $0 }
    }()

    @Test("every relative link and image in the README, docs/ and examples/ names a file that exists")
    func relativeLinksResolve() throws {
        #expect(Self.markdownFiles.contains("docs/README.md"))
        var broken: [String] = []
        for file in Self.markdownFiles {
            let text = try Repository.text(file)
            let directory = (file as NSString).deletingLastPathComponent
            for match in text.matches(of: /\]\(([^)\s#]+)(#[^)\s]*)?\)/) {
                let target = String(match.output.1)
                guard !target.contains("://"), !target.hasPrefix("mailto:") else { continue }
                let path = directory.isEmpty ? target : directory + "/" + target
                if !Repository.contains(path) { broken.append("\(file): \(target)") }
            }
        }
        #expect(broken.isEmpty, "broken links: \(broken)")
    }

    @Test(
        "every diagram in docs/diagrams is the SVG its Graphviz source makes (scripts/diagrams.sh)",
        .enabled(if: ExternalTool.isInstalled(dot) || ExternalTool.isRequired)
    )
    func diagramsAreGenerated() throws {
        let directory = Repository.url("docs/diagrams").path
        let sources = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".dot") }.sorted()
        #expect(sources.count >= 3, "the publish path, subscribe and resume, healing")
        for source in sources {
            let svg = "docs/diagrams/" + source.dropLast(4) + ".svg"
            let made = try ExternalTool.run(Self.dot, ["-Tsvg", "docs/diagrams/" + source])
            #expect(made.status == 0, "dot failed on \(source): \(String(decoding: made.error, as: UTF8.self))")
            #expect(try Repository.text(svg) == String(decoding: made.output, as: UTF8.self), "\(svg) is stale: run scripts/diagrams.sh")
        }
    }
}
