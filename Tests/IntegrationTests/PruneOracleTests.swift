import Foundation
import Testing

/// `image prune` against texts captured from docker 20.10 on an empty daemon (notes/oracle/fresh-store.txt).
/// A shared docker cannot be pruned safely while other tests run, so these need no peer.
@Suite("Prune (docker 20.10 texts)")
struct PruneOracleTests {
    @Test("nothing to prune; declined prompt")
    func nothingToPrune() async throws {
        let strata = try StrataRunner()
        let r = try await strata("image", "prune", "-f")
        #expect(r.stdout == "Total reclaimed space: 0B\n" && r.status == 0, "\(r)")
        let declined = try await strata.run(["image", "prune"], stdinFile: try answerFile("n\n"))
        #expect(declined.stdout == "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] Total reclaimed space: 0B\n",
                "\(declined)")
        let declinedAll = try await strata.run(["image", "prune", "-a"], stdinFile: try answerFile("n\n"))
        #expect(declinedAll.stdout == "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] Total reclaimed space: 0B\n",
                "\(declinedAll)")
    }

    @Test("dangling image sharing its layer: image deleted, 0B reclaimed")
    func danglingSharedLayer() async throws {
        let strata = try StrataRunner()
        let rootfs = try Files.busyboxRootfs()
        try await strata.importImage(rootfs, "strata-it/keep:1")
        let dangling = try await strata.importImage(rootfs)
        let r = try await strata("image", "prune", "-f")
        #expect(r.stdout == "Deleted Images:\ndeleted: \(dangling)\n\nTotal reclaimed space: 0B\n", "\(r)")
        #expect(try await strata("images", "-q").stdout.split(separator: "\n").count == 1)
        #expect(try await strata("system", "check").status == 0)
    }

    @Test("prune -a: untag, delete image and its layer, reclaim the layer size")
    func pruneAll() async throws {
        let strata = try StrataRunner()
        let rootfs = try Files.busyboxRootfs()
        let id = try await strata.importImage(rootfs, "strata-it/all:1")
        let layer = try await Files.sha256(rootfs)
        let size = dockerHumanSize(Int(try await strata("inspect", "--format", "{{.Size}}", "strata-it/all:1").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1)
        let r = try await strata("image", "prune", "-a", "-f")
        #expect(r.stdout == "Deleted Images:\nuntagged: strata-it/all:1\ndeleted: \(id)\ndeleted: \(layer)\n\nTotal reclaimed space: \(size)\n",
                "\(r)")
        let df = try await strata("system", "df", "--format", "{{.Type}}\t{{.TotalCount}}\t{{.Size}}")
        #expect(df.stdout.hasPrefix("Images\t0\t0B\n"), "\(df)")
        #expect(try await strata("system", "check").status == 0)
    }

    private func answerFile(_ text: String) throws -> String {
        let dir = try Files.tempDirectory("answer")
        let path = dir.appendingPathComponent("answer").path
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { throw FixtureError("cannot write \(path)") }
        return path
    }
}
