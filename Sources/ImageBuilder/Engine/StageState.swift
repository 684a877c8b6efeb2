import Foundation
import GoText
import OCI
import Store

/// A history entry whose time is settled when the stage ends (BuildKit's normalisation): layer steps carry
/// their layer's creation time, metadata steps borrow a neighbouring layer's.
struct PendingHistory: Sendable {
    var entry: History
    /// The creation time of the step's layer, kept as written (a cache carries it as text, and must give the
    /// same history back); nil for metadata steps and steps with an empty diff.
    var layerTime: Timestamp?
}

/// The mutable state of one stage while its instructions run.
struct StageState: Sendable {
    var config: ImageConfig
    var layers: [StoredLayer]
    /// The base's history entries (kept verbatim) and this build's, still to be timed.
    var baseHistory: [History]
    var history: [PendingHistory] = []
    /// The environment RUN sees and expansion uses: image Env plus ARG values, `K=V`, in order.
    var runEnv: [String]
    /// ARGs declared in this stage, with their values (nil: declared without one), for `RUN |N K=V`.
    var declaredArgs: [(String, String?)] = []
    /// The cache chain: the base image ID or stage key, then each layer step's key.
    var cacheKey: String
    /// Whether CMD was set in this stage (ENTRYPOINT then keeps it).
    var cmdSet = false
    var executed = 0
    var cached = 0

    var container: ContainerConfig {
        get { config.config ?? ContainerConfig(style: .oci) }
        set { config.config = newValue }
    }

    var environment: [String: String] {
        var result: [String: String] = [:]
        for entry in runEnv {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            result[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return result
    }

    mutating func setRunEnv(_ key: String, _ value: String) {
        Self.set(&runEnv, key, value)
    }

    static func set(_ list: inout [String], _ key: String, _ value: String) {
        let entry = key + "=" + value
        if let index = list.firstIndex(where: { $0 == key || $0.hasPrefix(key + "=") }) {
            list[index] = entry
        } else {
            list.append(entry)
        }
    }

    mutating func addMetadataHistory(_ createdBy: String) {
        history.append(PendingHistory(entry: History(createdBy: createdBy, comment: "buildkit.dockerfile.v0", emptyLayer: true),
                                      layerTime: nil))
    }

    /// Records a layer step: with a layer it is appended; without one (empty diff) the entry is an empty layer.
    mutating func addLayerStep(_ createdBy: String, layer: StoredLayer?, time: Timestamp) {
        if let layer {
            layers.append(layer)
            var rootfs = config.rootfs
            rootfs.diffIDs.append(layer.diffID)
            config.rootfs = rootfs
            history.append(PendingHistory(entry: History(createdBy: createdBy, comment: "buildkit.dockerfile.v0"), layerTime: time))
        } else {
            history.append(PendingHistory(entry: History(createdBy: createdBy, comment: "buildkit.dockerfile.v0", emptyLayer: true),
                                          layerTime: nil))
        }
    }

    /// The final config: history timed as BuildKit's exporter does, `created` = the last entry's time. With
    /// SOURCE_DATE_EPOCH (`epoch`) every entry this build adds and `created` are that time.
    func finishedConfig(now: Date = Date(), epoch: Date? = nil) -> ImageConfig {
        if let epoch {
            var result = config
            result.history = baseHistory + history.map { pending in
                var entry = pending.entry
                entry.created = Timestamp(epoch)
                return entry
            }
            result.created = Timestamp(epoch)
            return result
        }
        var result = config
        let firstLayerTime = history.first { $0.layerTime != nil }?.layerTime
        var previous = firstLayerTime ?? Timestamp(now)
        var entries = baseHistory
        for pending in history {
            var entry = pending.entry
            if let time = pending.layerTime { previous = time }
            entry.created = pending.layerTime ?? previous
            entries.append(entry)
        }
        result.history = entries
        result.created = history.isEmpty ? (config.created ?? Timestamp(now)) : entries.last?.created
        return result
    }
}
