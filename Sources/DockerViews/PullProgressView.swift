// Re-implements how the docker 20.10 CLI renders the daemon's pull/push jsonmessage stream (pkg/jsonmessage),
// since Strata has no daemon: same lines, same ANSI cursor moves, same progress bar.
import Format
import OCI

/// One state of a layer during `pull` or `push`, worded as dockerd 20.10 words it.
public enum LayerProgressStatus: Sendable, Hashable {
    // pull
    case pullingFSLayer
    case waiting
    case downloading(current: Int64, total: Int64?)
    case verifyingChecksum
    case downloadComplete
    case extracting(current: Int64, total: Int64?)
    case pullComplete
    case alreadyExists
    // push
    case preparing
    case pushing(current: Int64, total: Int64?)
    case pushed
    case layerAlreadyExists
    /// `Mounted from library/x`: the registry linked the blob from another repository (path only, no host).
    case mountedFrom(String)

    /// The status word(s) docker prints.
    public var text: String {
        switch self {
        case .pullingFSLayer: "Pulling fs layer"
        case .waiting: "Waiting"
        case .downloading: "Downloading"
        case .verifyingChecksum: "Verifying Checksum"
        case .downloadComplete: "Download complete"
        case .extracting: "Extracting"
        case .pullComplete: "Pull complete"
        case .alreadyExists: "Already exists"
        case .preparing: "Preparing"
        case .pushing: "Pushing"
        case .pushed: "Pushed"
        case .layerAlreadyExists: "Layer already exists"
        case .mountedFrom(let repository): "Mounted from " + repository
        }
    }

    /// The byte counts of a transfer state.
    var counts: (current: Int64, total: Int64?)? {
        switch self {
        case .downloading(let current, let total), .extracting(let current, let total), .pushing(let current, let total):
            (current, total)
        default: nil
        }
    }
}

/// docker's `JSONProgress.String()`: `[=====>      ]  1.2MB/3.4MB`. The bar only when the terminal is wider than
/// 110 columns; sizes with go-units `HumanSize`; no time estimate (dockerd 20.10 sends no start time for pulls
/// and pushes).
public enum ProgressBar {
    public static let width = 50

    public static func render(current: Int64, total: Int64?, terminalWidth: Int) -> String {
        let total = total ?? 0
        if current <= 0 && total <= 0 { return "" }
        let currentText = pad8(HumanUnits.humanSize(bytes: current))
        if total <= 0 { return currentText }
        let percentage = min(Int(Double(current) / Double(total) * 100) / 2, width)
        var bar = ""
        if terminalWidth > 110 {
            bar = "[" + String(repeating: "=", count: percentage) + ">" + String(repeating: " ", count: width - percentage) + "] "
        }
        if current > total { return bar + currentText }
        return bar + currentText + "/" + HumanUnits.humanSize(bytes: total)
    }

    /// Go's `%8v`: right-aligned in 8 columns, never cut.
    private static func pad8(_ text: String) -> String {
        text.count >= 8 ? text : String(repeating: " ", count: 8 - text.count) + text
    }
}

/// Renders a pull or push as the docker 20.10 CLI does (`jsonmessage.DisplayJSONMessagesStream`).
///
/// On a terminal every layer owns one line, rewritten in place: a new layer adds a line, and an update moves the
/// cursor up to its line (`ESC[nA`), erases it (`ESC[2K`), writes `<id>: <status> <progress>\r` and moves back down
/// (`ESC[nB`). Not on a terminal, each status change is one plain line and byte-count updates are left out.
/// A plain line (``line(_:)``) ends the current group of layer lines, as any docker message without progress does.
///
/// Each call returns the bytes to write; the caller writes them in the order received (calls are not reentrant).
public struct PullProgressView: Sendable {
    public let isTerminal: Bool
    /// Columns of the terminal (docker asks the tty; it assumes 200 when that fails).
    public let terminalWidth: Int
    private var lines: [String: Int] = [:]

    public init(isTerminal: Bool, terminalWidth: Int = 200) {
        self.isTerminal = isTerminal
        self.terminalWidth = terminalWidth
    }

    /// docker's short layer ID: the first 12 hex digits of the digest (`138d7c2d30bb`).
    public static func layerID(_ digest: Digest) -> String { String(digest.encoded.prefix(12)) }

    /// A layer's new status (`id` as from ``layerID(_:)``).
    public mutating func update(id: String, _ status: LayerProgressStatus) -> String {
        let counts = status.counts
        let progress = counts.map { ProgressBar.render(current: $0.current, total: $0.total, terminalWidth: terminalWidth) } ?? ""
        var out = ""
        let line: Int
        if let known = lines[id] {
            line = known
        } else {
            line = lines.count
            lines[id] = line
            if isTerminal { out += "\n" }
        }
        let distance = lines.count - line
        guard isTerminal else {
            // Byte counts are not printed off a terminal; a bare status is.
            return progress.isEmpty ? "\(id): \(status.text)\n" : ""
        }
        out += Self.cursorUp(distance)
        out += "\u{1B}[2K\r\(id): \(status.text) \(progress)\r"
        out += Self.cursorDown(distance)
        return out
    }

    /// A message that is not a layer's (header, digest, status): printed on its own line; later layer updates
    /// start a new group below it.
    public mutating func line(_ text: String) -> String {
        lines = [:]
        return text + "\n"
    }

    /// A message with an ID but no progress (`latest: Pulling from library/busybox`).
    public mutating func line(id: String, _ text: String) -> String {
        line(id + ": " + text)
    }

    private static func cursorUp(_ n: Int) -> String { n == 0 ? "" : "\u{1B}[\(n)A" }
    private static func cursorDown(_ n: Int) -> String { n == 0 ? "" : "\u{1B}[\(n)B" }
}

/// The lines around a pull's and push's layer progress, as docker 20.10 prints them.
public enum PullProgressLines {
    /// `Using default tag: latest` — printed by the CLI when the name has neither tag nor digest.
    public static func usingDefaultTag() -> String { "Using default tag: " + ImageReference.defaultTag }

    /// The ID and text of the first daemon message: `latest: Pulling from library/busybox`; for a digest reference
    /// the ID is the whole reference (`docker.io/library/busybox@sha256:…`). The path has no registry host.
    public static func pullingFrom(_ reference: ImageReference) -> (id: String, text: String) {
        let id = reference.digest != nil ? reference.description : (reference.tag ?? ImageReference.defaultTag)
        return (id, "Pulling from " + reference.path)
    }

    /// `Digest: sha256:…` — the manifest digest, once the layers are in.
    public static func digest(_ digest: Digest) -> String { "Digest: " + digest.description }

    /// `Status: Downloaded newer image for busybox:latest` or `Status: Image is up to date for busybox:latest`.
    public static func status(_ reference: ImageReference, downloaded: Bool) -> String {
        (downloaded ? "Status: Downloaded newer image for " : "Status: Image is up to date for ") + reference.familiarString
    }

    /// The last line of `docker pull`: the full reference, `docker.io/library/busybox:latest`.
    public static func pulledReference(_ reference: ImageReference) -> String { reference.description }

    /// `WARNING: image with reference busybox was found but does not match the specified platform: wanted
    /// linux/arm64, actual: linux/amd64` (printed before the reference line when `--platform` does not match the
    /// image already stored under the name).
    public static func platformMismatch(_ reference: ImageReference, wanted: String, actual: String) -> String {
        "WARNING: image with reference \(reference.familiarName) was found but does not match the specified platform: "
            + "wanted \(wanted), actual: \(actual)"
    }

    /// `The push refers to repository [docker.io/library/busybox]` (full name, never familiar).
    public static func pushRefersTo(_ reference: ImageReference) -> String {
        "The push refers to repository [\(reference.name)]"
    }

    /// `latest: digest: sha256:… size: 527` — the pushed manifest's digest and byte size.
    public static func pushed(tag: String, digest: Digest, size: Int) -> String {
        "\(tag): digest: \(digest) size: \(size)"
    }
}
