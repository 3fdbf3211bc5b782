/// A parsed YAML document as JSON gives it back: what `check_yaml.py` prints, decoded.
enum YAMLValue: Decodable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([YAMLValue])
    case object([String: YAMLValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // why: Bool before Int, and Int before Double, so that `true` and `3` keep their YAML types.
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([YAMLValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: YAMLValue].self))
        }
    }

    subscript(key: String) -> YAMLValue? {
        object?[key]
    }

    var object: [String: YAMLValue]? {
        if case .object(let value) = self { value } else { nil }
    }

    var array: [YAMLValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    var string: String? {
        if case .string(let value) = self { value } else { nil }
    }

    var int: Int? {
        if case .int(let value) = self { value } else { nil }
    }

    var bool: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// The text of a scalar as a YAML author wrote it (`8080`, `true` and `"8080"` alike).
    var scalarText: String? {
        switch self {
        case .string(let value): value
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .bool(let value): String(value)
        case .null, .array, .object: nil
        }
    }

    /// An environment as Compose writes it, either a mapping or a list of `NAME=value`.
    var environment: [String: String] {
        if let object {
            return object.compactMapValues { $0.scalarText }
        }
        let pairs = (array ?? []).compactMap { $0.string?.split(separator: "=", maxSplits: 1) }
        return Dictionary(pairs.map { (String($0[0]), $0.count > 1 ? String($0[1]) : "") }, uniquingKeysWith: { _, last in last })
    }
}
