import GoText

/// Why a threshold could not be read, in Go's words.
struct ThresholdParseFailure: Error, Equatable {
    var message: String
}

/// The two number readers dive's CI rules use: Go's strconv.ParseFloat and go-humanize's ParseBytes ("20MB" is
/// 20,000,000 bytes, "20MiB" 20,971,520; the unit is case-insensitive and may be short, "20M"), with their messages.
enum GoByteSize {
    private static let units: [String: UInt64] = {
        var table: [String: UInt64] = ["": 1, "b": 1]
        let decimal: [(String, UInt64)] = [("k", 1_000), ("m", 1_000_000), ("g", 1_000_000_000), ("t", 1_000_000_000_000),
                                           ("p", 1_000_000_000_000_000), ("e", 1_000_000_000_000_000_000)]
        for (index, (prefix, value)) in decimal.enumerated() {
            let binary = UInt64(1) << (10 * UInt64(index + 1))
            table[prefix] = value
            table[prefix + "b"] = value
            table[prefix + "i"] = binary
            table[prefix + "ib"] = binary
        }
        return table
    }()

    /// go-humanize's ParseBytes: a decimal number (commas allowed), optional blanks, an optional unit.
    static func parse(_ text: String) -> Result<UInt64, ThresholdParseFailure> {
        let numberEnd = text.firstIndex { !($0.isASCII && ($0.isNumber || $0 == "." || $0 == ",")) } ?? text.endIndex
        let number = text[..<numberEnd].filter { $0 != "," }
        let value: Double
        switch parseFloat(String(number)) {
        case .failure(let failure): return .failure(failure)
        case .success(let parsed): value = parsed
        }
        let unit = text[numberEnd...].trimmingCharacters(in: .whitespaces).lowercased()
        guard let multiplier = units[unit] else {
            return .failure(ThresholdParseFailure(message: "unhandled size name: \(unit)"))
        }
        let bytes = value * Double(multiplier)
        guard bytes < Double(UInt64.max) else { return .failure(ThresholdParseFailure(message: "too large: \(text)")) }
        return .success(bytes.isNaN || bytes < 0 ? 0 : UInt64(bytes))
    }

    /// Go's strconv.ParseFloat(text, 64), its errors included.
    static func parseFloat(_ text: String) -> Result<Double, ThresholdParseFailure> {
        guard let value = Double(text) else {
            return .failure(ThresholdParseFailure(message: "strconv.ParseFloat: parsing \(GoQuote.quote(text)): invalid syntax"))
        }
        if value.isInfinite && !text.lowercased().contains("inf") {
            return .failure(ThresholdParseFailure(message: "strconv.ParseFloat: parsing \(GoQuote.quote(text)): value out of range"))
        }
        return .success(value)
    }
}
