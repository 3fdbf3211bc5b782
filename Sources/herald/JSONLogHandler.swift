import Foundation
import HeraldCore
import Logging

/// Writes each log record as one JSON object a line (`--log-format json`), for log collectors.
///
/// Keys are stable: `time` (RFC 3339, UTC, milliseconds), `level`, `label`, `message`, `source` (the module),
/// and every metadata key as a string member (`herald.topic`, `redis.connection.id`…); a metadata key never
/// replaces one of the fixed keys (it is prefixed with `metadata.` instead). A line is written with one
/// `write` call, so lines of several threads never interleave.
struct JSONLogHandler: LogHandler {
    static let fixedKeys: Set<String> = ["time", "level", "label", "message", "source"]

    let label: String
    let output: FileHandle
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    init(label: String, output: FileHandle = .standardError) {
        self.label = label
        self.output = output
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = "{\"time\":\(JSONText.quoted(Self.timestamp()))"
        line += ",\"level\":\(JSONText.quoted(event.level.rawValue))"
        line += ",\"label\":\(JSONText.quoted(label))"
        line += ",\"message\":\(JSONText.quoted("\(event.message)"))"
        line += ",\"source\":\(JSONText.quoted(event.source))"
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in merged.keys.sorted() {
            let name = Self.fixedKeys.contains(key) ? "metadata." + key : key
            line += ",\(JSONText.quoted(name)):\(JSONText.quoted("\(merged[key]!)"))"
        }
        output.write(Data((line + "}\n").utf8))
    }

    private static func timestamp() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var seconds = time_t(time.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let milliseconds = Int(time.tv_nsec) / 1_000_000
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(millis)Z"
    }
}
