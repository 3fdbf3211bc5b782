/// The fields a publish body may carry, in JSON objects and in forms alike.
///
/// `type` is an alias of `event` (some SSE libraries call the event name its type); giving both is an error.
enum PublishField: String, CaseIterable {
    case topic
    case data
    case event
    case type
    case idempotencyKey

    /// The list shown in error messages.
    static let allowedList = "topic, data, event (or its alias type), idempotencyKey"

    /// The known field closest to a misspelt `name` (at most two edits away), for "did you mean" hints.
    static func closest(to name: String) -> PublishField? {
        let candidate = Array(name.lowercased().utf8)
        var best: (field: PublishField, distance: Int)?
        for field in allCases {
            let distance = editDistance(candidate, Array(field.rawValue.utf8))
            if distance <= 2, distance < (best?.distance ?? .max) {
                best = (field, distance)
            }
        }
        return best?.field
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit ("topci" → "topic" is 1).
    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, table[i - 2][j - 2] + 1)
                }
                table[i][j] = value
            }
        }
        return table[a.count][b.count]
    }
}
