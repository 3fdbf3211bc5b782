import Foundation
import TestSupport

/// Debian's `chromium`, headless, opening one page; stopped by its pid.
///
/// `/usr/bin/chromium` is a wrapper script that `exec`s the browser, so the pid spawned is the browser's
/// own, and SIGTERM makes it stop its helper processes too.
enum HeadlessChromium {
    static var executable: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts Chromium on `url` with a fresh profile in `directory`; its output goes to `directory`/chromium.log.
    /// With `debuggingPort`, Chromium serves its DevTools endpoints there (`/json/list` gives each page's title,
    /// `DevToolsPage` drives the page). `arguments` come before the URL (e.g. `--window-size=1200,800`).
    static func open(_ url: String, directory: String, debuggingPort: Int? = nil, arguments: [String] = []) async throws -> pid_t {
        guard let executable else { throw FailoverFailure("chromium is not installed (apt-get install chromium)") }
        return try await ChildProcess.spawnInTurn(
            executable,
            [
                // --no-sandbox: the sandbox cannot start as root in a container; --disable-dev-shm-usage: /dev/shm
                // is tiny in containers.
                "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--user-data-dir=\(directory)/chromium-profile",
            ] + (debuggingPort.map { ["--remote-debugging-port=\($0)"] } ?? []) + arguments + [url],
            logPath: logPath(directory)
        )
    }

    static func logPath(_ directory: String) -> String {
        directory + "/chromium.log"
    }
}
