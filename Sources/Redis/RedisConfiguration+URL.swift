extension RedisConfiguration {
    /// Parses `redis://[user[:password]@]host[:port][/db]`.
    ///
    /// User and password may be percent-encoded; an IPv6 host goes in brackets
    /// (`redis://[::1]:6379`). A user with no password (`redis://user@host`) is
    /// rejected, since `AUTH` needs a password. Every other setting keeps its
    /// default. Throws ``RedisError/Code/invalidConfiguration`` with a message that
    /// says what is wrong, never echoing the password.
    public init(url: String) throws(RedisError) {
        func invalid(_ message: String) -> RedisError {
            RedisError(.invalidConfiguration, message: message)
        }

        guard let schemeEnd = url.firstRange(of: "://") else {
            throw invalid("redis URL must start with redis://, e.g. redis://127.0.0.1:6379/0")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        switch scheme {
        case "redis":
            break
        case "rediss":
            throw invalid("redis URL scheme rediss:// (TLS) is not supported yet; use redis://")
        default:
            throw invalid("redis URL scheme '\(scheme)' is not supported; use redis://")
        }

        var rest = Substring(url[schemeEnd.upperBound...])
        var databasePart: Substring?
        if let slash = rest.firstIndex(of: "/") {
            databasePart = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        if rest.contains("?") || rest.contains("#") || (databasePart?.contains("?") ?? false) {
            throw invalid("redis URL must not have a query or fragment; set options in the configuration")
        }

        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = userInfo[..<colon]
                username = user.isEmpty ? nil : try Self.percentDecoded(user, field: "user")
                password = try Self.percentDecoded(userInfo[userInfo.index(after: colon)...], field: "password")
            } else if !userInfo.isEmpty {
                throw invalid("redis URL has a user but no password; write redis://user:password@host")
            }
        }

        let (host, port) = try Self.hostAndPort(rest)
        var database = 0
        if let databasePart, !databasePart.isEmpty {
            guard let number = Int(databasePart), number >= 0 else {
                throw invalid("redis URL database '\(databasePart)' is not a non-negative integer")
            }
            database = number
        }

        self.init(host: host, port: port, password: password, username: username, database: database)
        try self.validate()
    }

    private static func hostAndPort(_ text: Substring) throws(RedisError) -> (String, Int) {
        func invalid(_ message: String) -> RedisError {
            RedisError(.invalidConfiguration, message: message)
        }
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw invalid("redis URL has an unterminated IPv6 address; write redis://[::1]:6379")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    throw invalid("redis URL has unexpected text after the IPv6 address")
                }
                portText = after.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text
        }
        guard !host.isEmpty else {
            throw invalid("redis URL has no host; write redis://host:port")
        }
        var port = 6379
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else {
                throw invalid("redis URL port '\(portText)' is not a number in 1-65535")
            }
            port = number
        }
        return (String(host), port)
    }

    private static func percentDecoded(_ text: Substring, field: String) throws(RedisError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue)
            else {
                throw RedisError(.invalidConfiguration, message: "redis URL \(field) has an invalid %-escape")
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
