// Hand-written: Go's time.Time.String() and RFC3339Nano layouts, which docker prints verbatim.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in time as Go's `time.Time` prints it.
public struct GoTime: Sendable, Equatable {
    public var seconds: Int64  // since the Unix epoch
    public var nanoseconds: Int32  // 0..<1_000_000_000
    /// Offset east of UTC in seconds, and the zone abbreviation Go prints ("UTC", "CET").
    public var utcOffset: Int
    public var zone: String

    public init(seconds: Int64, nanoseconds: Int32 = 0, utcOffset: Int = 0, zone: String = "UTC") {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.utcOffset = utcOffset
        self.zone = zone
    }

    /// The same instant in the machine's local zone (what `time.Unix(s, 0)` gives docker), via localtime_r.
    public static func local(seconds: Int64, nanoseconds: Int32 = 0) -> GoTime {
        var t = time_t(seconds)
        var parts = tm()
        guard localtime_r(&t, &parts) != nil else { return GoTime(seconds: seconds, nanoseconds: nanoseconds) }
        let zone = parts.tm_zone.map { String(cString: $0) } ?? "UTC"
        return GoTime(seconds: seconds, nanoseconds: nanoseconds, utcOffset: Int(parts.tm_gmtoff), zone: zone)
    }

    private struct Civil { var year: Int64, month: Int, day: Int, hour: Int, minute: Int, second: Int }

    private var civil: Civil {
        let local = seconds + Int64(utcOffset)
        var days = local / 86400
        var rest = local % 86400
        if rest < 0 { rest += 86400; days -= 1 }
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return Civil(year: year, month: month, day: day, hour: Int(rest / 3600), minute: Int(rest % 3600 / 60),
                     second: Int(rest % 60))
    }

    private static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    private static func year(_ y: Int64) -> String {
        let digits = String(abs(y))
        return (y < 0 ? "-" : "") + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// ".123456789" with trailing zeros removed; empty when there is no fraction (Go's .999999999).
    private var fraction: String {
        guard nanoseconds > 0 else { return "" }
        var digits = String(nanoseconds)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.last == "0" { digits.removeLast() }
        return "." + digits
    }

    private var datePart: String {
        let c = civil
        return "\(Self.year(c.year))-\(Self.two(c.month))-\(Self.two(c.day))"
    }

    private var clockPart: String {
        let c = civil
        return "\(Self.two(c.hour)):\(Self.two(c.minute)):\(Self.two(c.second))"
    }

    /// Go's `time.Time.String()` without the monotonic part: `2006-01-02 15:04:05.999999999 -0700 MST`,
    /// e.g. `2024-01-02 15:04:05 +0000 UTC` (docker images' CreatedAt).
    public var goString: String {
        let sign = utcOffset < 0 ? "-" : "+"
        let offset = abs(utcOffset) / 60
        return "\(datePart) \(clockPart)\(fraction) \(sign)\(Self.two(offset / 60))\(Self.two(offset % 60)) \(zone)"
    }

    /// RFC3339Nano as Go marshals times (`2024-01-02T15:04:05.123456789Z`, trailing zeros trimmed).
    public var rfc3339Nano: String {
        var zoneText = "Z"
        if utcOffset != 0 {
            let offset = abs(utcOffset) / 60
            zoneText = (utcOffset < 0 ? "-" : "+") + "\(Self.two(offset / 60)):\(Self.two(offset % 60))"
        }
        return "\(datePart)T\(clockPart)\(fraction)\(zoneText)"
    }

    /// Parses RFC 3339 with optional fraction (`2024-01-02T15:04:05.5+01:00`); keeps the given offset.
    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard b.count >= 20, let year = number(0, 4), b[4] == 45, let month = number(5, 2), b[7] == 45,
            let day = number(8, 2), b[10] == 84 || b[10] == 116 || b[10] == 32, let hour = number(11, 2), b[13] == 58,
            let minute = number(14, 2), b[16] == 58, let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var nanos = 0
        if i < b.count && b[i] == 46 {
            i += 1
            var digits = 0
            while i < b.count && b[i] >= 48 && b[i] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(9, digits) { nanos *= 10 }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45, let h = number(i + 1, 2), b.count > i + 3, b[i + 3] == 58, let m = number(i + 4, 2) {
            offset = (h * 60 + m) * 60 * (b[i] == 45 ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        // days_from_civil
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let local = days * 86400 + Int64(hour * 3600 + minute * 60 + second)
        self.init(seconds: local - Int64(offset), nanoseconds: Int32(nanos), utcOffset: offset,
                  zone: offset == 0 ? "UTC" : "")
    }

    /// The same instant shown in UTC.
    public var utc: GoTime { GoTime(seconds: seconds, nanoseconds: nanoseconds) }
}
