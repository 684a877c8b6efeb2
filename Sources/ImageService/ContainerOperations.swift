import Foundation
import Sandbox
import Store

/// A kept container as `ps`, `rm` and `system df` see it.
public struct ContainerSummary: Sendable {
    public var container: StoredContainer
    /// Its writable layer's bytes (docker's SizeRw).
    public var writableBytes: Int64
    public var isRunning: Bool { container.state == .running }
}

/// `ps`, `rm` and `container prune` over the containers `run` keeps (started without `--rm`). A container is running
/// while the Strata process that runs it holds its session lock; one whose owner died is recorded as exited (137,
/// as a container killed with it).
extension ImageService {
    /// Every kept container; `measuringSizes` walks each writable layer (docker computes sizes only when asked).
    public func containers(measuringSizes: Bool = true) throws -> [ContainerSummary] {
        let store = try store()
        try reconcileContainers(store)
        return try store.containers().map { container in
            ContainerSummary(container: container, writableBytes: measuringSizes ? Self.writableBytes(store, container.id) : 0)
        }
    }

    /// `rm`: forgets the container and deletes its files. A running one goes only with `force`, which kills it.
    @discardableResult
    public func removeContainer(_ given: String, force: Bool) throws -> StoredContainer {
        let store = try store()
        try reconcileContainers(store)
        let container = try store.resolveContainer(given)
        if container.state == .running {
            guard force else {
                throw ServiceError(.conflict, "You cannot remove a running container \(container.id). Stop the container before "
                                   + "attempting removal or force remove")
            }
            if let pid = container.ownerPID, pid > 0 { kill(pid, SIGKILL) }
            // The owner's death kills the container; its session lock goes with it.
            let deadline = Date().addingTimeInterval(5)
            while ScratchSession.isHeld(root: store.root.containersDirectory, name: container.id), Date() < deadline {
                usleep(20_000)
            }
        }
        // A dead owner may have left the overlay mounted: the sweep unmounts what nobody holds.
        ScratchSession.sweep(root: store.root.containersDirectory)
        try delete(container, store: store)
        return container
    }

    /// `container prune` (and the first part of `system prune`): every stopped container; the IDs and the bytes freed.
    public func pruneContainers() throws -> (removed: [String], reclaimedBytes: Int64) {
        let store = try store()
        let stopped = try containers().filter { !$0.isRunning }
        if !stopped.isEmpty { ScratchSession.sweep(root: store.root.containersDirectory) }
        for summary in stopped { try delete(summary.container, store: store) }
        return (stopped.map(\.container.id), stopped.reduce(0) { $0 + $1.writableBytes })
    }

    /// Forgets a stopped container (its overlay already unmounted) and deletes its files.
    private func delete(_ container: StoredContainer, store: ImageStore) throws {
        try store.removeContainerRecord(id: container.id)
        let directory = store.root.containersDirectory + "/" + container.id
        try? FileManager.default.removeItem(atPath: directory)
        unlink(directory + ".lock")
    }

    /// Records containers whose owner died as exited.
    func reconcileContainers(_ store: ImageStore) throws {
        for container in try store.containers() where container.state == .running {
            if !ScratchSession.isHeld(root: store.root.containersDirectory, name: container.id) {
                try store.finishContainer(id: container.id, exitCode: 137)
            }
        }
    }

    /// The bytes of regular files in the container's overlay upper directory.
    static func writableBytes(_ store: ImageStore, _ id: String) -> Int64 {
        let upper = store.root.containersDirectory + "/" + id + "/upper"
        guard let walker = FileManager.default.enumerator(atPath: upper) else { return 0 }
        var total: Int64 = 0
        while let relative = walker.nextObject() as? String {
            var info = stat()
            if lstat(upper + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { total += Int64(info.st_size) }
        }
        return total
    }
}
