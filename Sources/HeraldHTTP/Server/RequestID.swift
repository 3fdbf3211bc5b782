import NIOHTTP1
import Synchronization

/// The id that ties a request's log lines together, echoed in its response as `X-Request-Id`: the client's
/// (or its load balancer's) `X-Request-Id` when it is usable, otherwise a new one.
enum RequestID {
    static let headerName = "x-request-id"
    /// why: 128 characters hold every common id (UUID, W3C trace id, nginx `$request_id`) and bound what a
    /// client can put into the node's logs.
    static let maxLength = 128

    /// The client's id when it is 1–128 characters of letters, digits and `-_.:/+=@`, else a new one.
    /// why: anything else (spaces, quotes, control characters) could forge or break log lines.
    static func of(_ headers: HTTPHeaders) -> String {
        guard let given = headers.first(name: headerName), isUsable(given) else { return generate() }
        return given
    }

    static func isUsable(_ id: String) -> Bool {
        (1...maxLength).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "+"), UInt8(ascii: "="), UInt8(ascii: "@"): true
            default: false
            }
        }
    }

    /// 15 hex digits (60 bits) that look random and do not repeat within the process. why: 15 UTF-8 bytes is
    /// the most a Swift string holds inline, so an id kept by every open stream allocates nothing.
    ///
    /// A SplitMix64 step over a per-process random seed and a counter, rather than the system generator: that
    /// one is a `getrandom` system call per request (a microsecond on the publish path); the ids need to be
    /// unique and unguessable enough to tie log lines together, not secret.
    static func generate() -> String {
        var z = seed &+ counter.add(1, ordering: .relaxed).newValue &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return String(unsafeUninitializedCapacity: 15) { digits in
            for index in 0..<15 {
                let nibble = UInt8(truncatingIfNeeded: z >> UInt64(4 * (14 - index))) & 0xF
                digits[index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            }
            return 15
        }
    }

    private static let seed = UInt64.random(in: .min ... .max)
    private static let counter = Atomic<UInt64>(0)
}
