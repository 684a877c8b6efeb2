// Go's `time.ParseDuration`, re-implemented because HEALTHCHECK durations, `until=` filters and their
// error messages must match docker's exactly.

/// What `time.ParseDuration` says about a value it rejects.
public struct GoDurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public enum GoDuration {
    /// Nanoseconds for a Go duration string such as `1m30s`, `500ms`, `1.5h`.
    public static func parse(_ text: String) throws(GoDurationError) -> Int64 {
        let invalid = GoDurationError("time: invalid duration \"\(text)\"")
        var scalars = Array(text.unicodeScalars)[...]
        var negative = false
        if let sign = scalars.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            scalars = scalars.dropFirst()
        }
        if scalars.count == 1 && scalars.first == "0" { return 0 }
        guard !scalars.isEmpty else { throw invalid }
        var totalExact: Int64 = 0
        while !scalars.isEmpty {
            var whole: Int64 = 0
            var wholeDigits = 0
            var overflow = false
            while let digit = scalars.first, ("0"..."9").contains(digit) {
                let (product, overflowMultiply) = whole.multipliedReportingOverflow(by: 10)
                let (sum, overflowAdd) = product.addingReportingOverflow(Int64(digit.value - 48))
                overflow = overflow || overflowMultiply || overflowAdd
                whole = sum
                wholeDigits += 1
                scalars = scalars.dropFirst()
            }
            if overflow { throw invalid }
            var fraction: Double = 0
            var fractionDigits = 0
            if scalars.first == "." {
                scalars = scalars.dropFirst()
                var scale: Double = 1
                while let digit = scalars.first, ("0"..."9").contains(digit) {
                    scale /= 10
                    fraction += Double(digit.value - 48) * scale
                    fractionDigits += 1
                    scalars = scalars.dropFirst()
                }
            }
            guard wholeDigits + fractionDigits > 0 else { throw invalid }
            var unit = ""
            while let scalar = scalars.first, scalar != ".", !("0"..."9").contains(scalar) {
                unit.unicodeScalars.append(scalar)
                scalars = scalars.dropFirst()
            }
            guard !unit.isEmpty else { throw GoDurationError("time: missing unit in duration \"\(text)\"") }
            let multiplier: Int64
            switch unit {
            case "ns": multiplier = 1
            case "us", "µs", "μs": multiplier = 1_000
            case "ms": multiplier = 1_000_000
            case "s": multiplier = 1_000_000_000
            case "m": multiplier = 60_000_000_000
            case "h": multiplier = 3_600_000_000_000
            default: throw GoDurationError("time: unknown unit \"\(unit)\" in duration \"\(text)\"")
            }
            let (scaled, overflowScale) = whole.multipliedReportingOverflow(by: multiplier)
            if overflowScale { throw invalid }
            let (sum, overflowSum) = totalExact.addingReportingOverflow(scaled + Int64(fraction * Double(multiplier)))
            if overflowSum { throw invalid }
            totalExact = sum
        }
        return negative ? -totalExact : totalExact
    }

    /// The duration in seconds, nil when Go would reject it.
    public static func seconds(_ text: String) -> Double? {
        (try? parse(text)).map { Double($0) / 1e9 }
    }
}
