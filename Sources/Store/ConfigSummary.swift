import Foundation
import OCI

/// The few config fields the store indexes so listing never opens a blob.
struct ConfigSummary {
    let created: String
    let createdUnix: Double
    let labels: [String: String]

    init(json: Data) {
        let object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] ?? [:]
        created = object["created"] as? String ?? "0001-01-01T00:00:00Z"
        createdUnix = parseRFC3339(created) ?? 0
        let config = object["config"] as? [String: Any]
        labels = config?["Labels"] as? [String: String] ?? [:]
    }

    var labelsJSON: String {
        let data = (try? JSONSerialization.data(withJSONObject: labels, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// Parses RFC 3339 timestamps with any number of fractional digits and a `Z` or `±hh:mm` zone.
public func parseRFC3339(_ text: String) -> Double? {
    let bytes = Array(text.utf8)
    guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
          bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " ") else { return nil }
    func number(_ start: Int, _ count: Int) -> Int? {
        var value = 0
        for index in start..<(start + count) {
            guard index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 else { return nil }
            value = value * 10 + Int(bytes[index] - 48)
        }
        return value
    }
    guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
          let minute = number(14, 2), let second = number(17, 2) else { return nil }
    var index = 19
    var fraction = 0.0
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
        index += 1
        var scale = 0.1
        while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
            fraction += Double(bytes[index] - 48) * scale
            scale /= 10
            index += 1
        }
    }
    var offset = 0
    if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
        guard let hours = number(index + 1, 2), let minutes = number(index + 4, 2) else { return nil }
        offset = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
    } else if index >= bytes.count || (bytes[index] != UInt8(ascii: "Z") && bytes[index] != UInt8(ascii: "z")) {
        return nil
    }
    let days = daysFromCivil(year: year, month: month, day: day)
    return Double(days * 86400 + hour * 3600 + minute * 60 + second - offset) + fraction
}

/// Days since 1970-01-01 in the proleptic Gregorian calendar.
private func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146097 + dayOfEra - 719468
}

/// Builds the OCI manifest the store keeps for each image it creates itself.
enum ImageManifestBuilder {
    static func ociManifest(configDigest: Digest, configSize: Int64, layers: [StoredLayer]) -> Data {
        var json = "{\"schemaVersion\":2,\"mediaType\":\"\(MediaType.ociManifest)\",\"config\":{\"mediaType\":\"\(MediaType.ociConfig)\",\"digest\":\"\(configDigest)\",\"size\":\(configSize)},\"layers\":["
        json += layers.map { "{\"mediaType\":\"\($0.mediaType)\",\"digest\":\"\($0.blobDigest)\",\"size\":\($0.blobSize)}" }
            .joined(separator: ",")
        json += "]}"
        return Data(json.utf8)
    }
}
