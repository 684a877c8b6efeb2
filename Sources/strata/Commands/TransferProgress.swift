import DockerViews
import Foundation
import ImageService
import OCI
import Synchronization
import Transport

/// Turns copier events into docker's pull or push progress on stdout. Events arrive from several tasks, so the
/// view sits behind a mutex; `-q` makes it silent.
final class TransferProgress: Sendable {
    enum Kind { case pull, push }

    private let kind: Kind
    private let quiet: Bool
    private let view: Mutex<PullProgressView>
    /// Layers reported as mounted by the destination (push), so "Pushed" is not printed over "Mounted from".
    private let mounted = Mutex<[Digest: String]>([:])

    /// Where the progress goes: stdout for pull and push, stderr for the pull `run` does first.
    private let output: Int32

    init(kind: Kind, quiet: Bool, output: Int32 = STDOUT_FILENO) {
        self.kind = kind
        self.quiet = quiet
        self.output = output
        let terminal = isatty(output) == 1
        view = Mutex(PullProgressView(isTerminal: terminal, terminalWidth: terminal ? Self.terminalColumns(output) : 200))
    }

    func line(_ text: String) {
        guard !quiet else { return }
        emit { $0.line(text) }
    }

    func line(id: String, _ text: String) {
        guard !quiet else { return }
        emit { $0.line(id: id, text) }
    }

    func status(_ layer: TransportLayer, _ status: LayerProgressStatus) {
        guard !quiet else { return }
        let id = PullProgressView.layerID(kind == .pull ? layer.blob.digest : layer.diffID)
        emit { $0.update(id: id, status) }
    }

    func markMounted(_ layer: TransportLayer, from repository: String) {
        mounted.withLock { $0[layer.blob.digest] = repository }
    }

    /// A pull's events as docker prints them: the header once the manifest is resolved, layer progress, then the
    /// digest and status lines.
    func render(_ event: PullEvent) {
        switch event {
        case .resolved(let reference):
            let header = PullProgressLines.pullingFrom(reference)
            line(id: header.id, header.text)
        case .transfer(let copyEvent):
            handle(copyEvent)
        case .pulled(let reference, let digest, let downloaded):
            line(PullProgressLines.digest(digest))
            line(PullProgressLines.status(reference, downloaded: downloaded))
        }
    }

    /// The copier's callback.
    var handler: ImageCopier.Progress {
        { [self] event in self.handle(event) }
    }

    private func handle(_ event: CopyEvent) {
        switch (kind, event) {
        case (.pull, .layerSkipped(let layer)): status(layer, .alreadyExists)
        case (.pull, .layerWaiting(let layer)): status(layer, .pullingFSLayer)
        case (_, .layerQueued(let layer)): status(layer, .waiting)
        case (.pull, .layerBytes(let layer, let done, let total)): status(layer, .downloading(current: done, total: total))
        case (.pull, .layerVerifying(let layer)): status(layer, .verifyingChecksum)
        case (.pull, .layerDone(let layer)):
            status(layer, .downloadComplete)
            status(layer, .pullComplete)
        case (.push, .layerSkipped(let layer)):
            if let from = mounted.withLock({ $0[layer.blob.digest] }) {
                status(layer, .mountedFrom(from))
            } else {
                status(layer, .layerAlreadyExists)
            }
        case (.push, .layerBytes(let layer, let done, let total)): status(layer, .pushing(current: done, total: total))
        case (.push, .layerDone(let layer)):
            if let from = mounted.withLock({ $0[layer.blob.digest] }) {
                status(layer, .mountedFrom(from))
            } else {
                status(layer, .pushed)
            }
        default: break
        }
    }

    private func emit(_ render: (inout PullProgressView) -> String) {
        view.withLock { view in
            let text = render(&view)
            if !text.isEmpty { Output.write(text, to: output) }
        }
    }

    private static func terminalColumns(_ fd: Int32) -> Int {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 200 }
        return Int(size.ws_col)
    }
}
