import Foundation

/// One line on standard error: a message for people, never part of a command's output.
enum Console {
    /// Whether standard error is a terminal: progress lines are shown there, and kept quiet when piped.
    static let isInteractive = isatty(2) == 1

    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Rewrites the current progress line (terminals only).
    static func progress(_ text: String) {
        guard isInteractive else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    static func endProgress() {
        guard isInteractive else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
