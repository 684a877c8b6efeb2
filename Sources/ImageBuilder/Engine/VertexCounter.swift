import Foundation
import OCI
import Synchronization

/// Numbers vertices (`#N`) and forwards their events to the renderer's sink; shared by parallel stages.
public final class VertexCounter: Sendable {
    private let next = Mutex(1)
    let sink: BuildEventSink

    public init(sink: @escaping BuildEventSink) {
        self.sink = sink
    }

    /// Starts a vertex; `digest` defaults to a hash of the name (internal steps).
    public func start(_ name: String, digest: String? = nil) -> Vertex {
        let id = next.withLock { value in
            defer { value += 1 }
            return value
        }
        let shown = digest ?? Digest.sha256(Array(name.utf8)).description
        sink(.started(id: id, name: name, digest: shown))
        return Vertex(id: id, started: ContinuousClock.now, sink: sink)
    }
}

/// One running vertex.
public struct Vertex: Sendable {
    let id: Int
    let started: ContinuousClock.Instant
    let sink: BuildEventSink

    func log(_ text: String, stream: Int = 1) {
        sink(.log(id: id, elapsed: ContinuousClock.now - started, stream: stream, text: text))
    }
    public func status(_ text: String) { sink(.status(id: id, text: text)) }
    func cached() { sink(.cached(id: id)) }
    public func done() { sink(.done(id: id, duration: ContinuousClock.now - started)) }
    public func failed(_ message: String) { sink(.failed(id: id, duration: ContinuousClock.now - started, message: message)) }
}
