import Logging
import Synchronization

/// Keeps the log records of a test node (info and above), so that a test can check what the node said.
final class LogRecorder: Sendable {
    struct Record: Sendable {
        var message: String
        var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    /// A logger whose records land here.
    var logger: Logger {
        var logger = Logger(label: "herald.test") { _ in Handler(recorder: self) }
        logger.logLevel = .info
        return logger
    }

    /// Every record, oldest first.
    var all: [Record] { records.withLock { $0 } }

    /// The records whose message is `message`, oldest first.
    func records(_ message: String) -> [Record] {
        records.withLock { $0.filter { $0.message == message } }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let record = Record(message: event.message.description, metadata: merged.mapValues { "\($0)" })
            recorder.records.withLock { $0.append(record) }
        }
    }
}
