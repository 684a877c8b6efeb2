import Foundation
import GoText
import OCI

/// The few config fields the store indexes so listing never opens a blob.
struct ConfigSummary {
    let created: String
    let createdUnix: Double
    let labels: [String: String]

    init(json: Data) {
        let object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] ?? [:]
        created = object["created"] as? String ?? "0001-01-01T00:00:00Z"
        createdUnix = (try? Timestamp(created))?.secondsSince1970 ?? 0
        let config = object["config"] as? [String: Any]
        labels = config?["Labels"] as? [String: String] ?? [:]
    }

    var labelsJSON: String {
        let data = (try? JSONSerialization.data(withJSONObject: labels, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
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
