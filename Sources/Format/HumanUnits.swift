// Hand-written port of docker/go-units size and duration wording, which docker's columns print.

/// docker's human-readable sizes and durations (github.com/docker/go-units).
public enum HumanUnits {
    private static let decimalUnits = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    private static let binaryUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]

    private static func scaled(_ size: Double, base: Double, units: [String]) -> (Double, String) {
        var size = size
        var i = 0
        while size >= base && i < units.count - 1 {
            size /= base
            i += 1
        }
        return (size, units[i])
    }

    private static func significant(_ value: Double, _ precision: Int) -> String {
        var flags = GoPrint.Flags()
        flags.precision = precision
        var out = ""
        GoPrint.printArgument(.double(value), verb: "g", flags: flags, into: &out)
        return out
    }

    /// `units.HumanSizeWithPrecision`: decimal units, `%.*g`. docker images' SIZE column uses precision 3
    /// ("1.98MB", "199MB"); VirtualSize/SharedSize use `humanSize` (precision 4: "1.984MB").
    public static func humanSize(_ bytes: Double, precision: Int = 4) -> String {
        let (value, unit) = scaled(bytes, base: 1000, units: decimalUnits)
        return significant(value, precision) + unit
    }

    /// `humanSize` for a byte count.
    public static func humanSize(bytes: Int64, precision: Int = 4) -> String {
        humanSize(Double(bytes), precision: precision)
    }

    /// `units.BytesSize`: binary units, `%.4g` ("44KiB", "1.5MiB").
    public static func bytesSize(_ bytes: Double) -> String {
        let (value, unit) = scaled(bytes, base: 1024, units: binaryUnits)
        return significant(value, 4) + unit
    }

    /// `units.HumanDuration` for a duration in seconds ("Less than a second", "About a minute", "3 days", ...).
    /// docker appends " ago" for CREATED columns.
    public static func humanDuration(seconds duration: Double) -> String {
        let seconds = Int(clamping: Int64(duration.isFinite ? max(min(duration, 9e18), -9e18) : 0))
        if seconds < 1 { return "Less than a second" }
        if seconds == 1 { return "1 second" }
        if seconds < 60 { return "\(seconds) seconds" }
        let minutes = Int(duration / 60)
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        let hours = Int(duration / 3600 + 0.5)
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(Int(duration / 3600) / 24 / 365) years"
    }

    /// docker's CREATED column: `HumanDuration(now - created) + " ago"`.
    public static func createdSince(created: Int64, now: Int64) -> String {
        humanDuration(seconds: Double(now - created)) + " ago"
    }
}
