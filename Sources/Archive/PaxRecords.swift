/// Parser for PAX extended-header records ("<len> <key>=<value>\n"), hand-written to match Go's
/// archive/tar acceptance rules exactly (what docker enforces on import).
enum PaxRecords {
    /// Parses a whole extended-header payload; nil when any record is malformed.
    static func parse(_ payload: [UInt8]) -> [String: [UInt8]]? {
        var records: [String: [UInt8]] = [:]
        var rest = payload[...]
        while !rest.isEmpty {
            guard let space = rest.firstIndex(of: UInt8(ascii: " ")) else { return nil }
            let lengthDigits = rest[rest.startIndex..<space]
            guard !lengthDigits.isEmpty, lengthDigits.count <= 18,
                lengthDigits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else { return nil }
            let length = lengthDigits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard length >= 5, length <= rest.count, length > lengthDigits.count + 1 else { return nil }
            let recordEnd = rest.startIndex + length
            guard rest[recordEnd - 1] == UInt8(ascii: "\n") else { return nil }
            let body = rest[(space + 1)..<(recordEnd - 1)]
            guard let equals = body.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            let key = body[body.startIndex..<equals]
            let value = body[(equals + 1)...]
            guard !key.isEmpty, !key.contains(0) else { return nil }
            let keyString = String(decoding: key, as: UTF8.self)
            if ["path", "linkpath", "uname", "gname"].contains(keyString), value.contains(0) { return nil }
            records[keyString] = Array(value)
            rest = rest[recordEnd...]
        }
        return records
    }

    /// Go's strconv.ParseInt(s, 10, 64) for the integer records (size, uid, gid).
    static func integer(_ value: [UInt8]) -> Int64? {
        Int64(String(decoding: value, as: UTF8.self))
    }

    /// Seconds part of a PAX time ("1700000000.123"); nil when malformed.
    static func seconds(_ value: [UInt8]) -> Int64? {
        let text = String(decoding: value, as: UTF8.self)
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, let seconds = Int64(whole) else { return nil }
        if parts.count == 2 && !parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) { return nil }
        return seconds
    }

    /// Encodes one record, computing the self-inclusive length prefix.
    static func encode(key: String, value: [UInt8]) -> [UInt8] {
        let payloadCount = key.utf8.count + value.count + 3  // ' ', '=', '\n'
        var digits = 1
        while String(digits + payloadCount).utf8.count != digits { digits += 1 }
        let length = digits + payloadCount
        var record = Array(String(length).utf8)
        record.append(UInt8(ascii: " "))
        record.append(contentsOf: key.utf8)
        record.append(UInt8(ascii: "="))
        record.append(contentsOf: value)
        record.append(UInt8(ascii: "\n"))
        return record
    }
}
