import Foundation
import Testing

/// `strata image unpack` against `umoci unpack` of the same rootfs (owners, modes, types, device
/// numbers, symlink targets, mtimes and bytes), and `strata export` against the unpacked tree.
/// umoci is needed: outside CI its absence skips the comparison, under CI=true it fails.
@Suite("Unpack")
struct UnpackTests {
    static let umoci = "/usr/bin/umoci"
    static var shouldRun: Bool { TestEnvironment.isCI || FileManager.default.isExecutableFile(atPath: umoci) }

    static func requireUmoci() throws {
        guard FileManager.default.isExecutableFile(atPath: umoci) else {
            throw FixtureError("umoci is missing (apt install umoci)\(TestEnvironment.isCI ? " (CI=true: required)" : "")")
        }
    }

    /// The rootfs tarballs to compare on: busybox always, Debian when scripts/peers-up made it.
    static func rootfsTarballs() throws -> [String] {
        var result = [try Files.busyboxRootfs()]
        let debian = TestEnvironment.processEnvironment["DEBIAN_ROOTFS"] ?? TestEnvironment.peersUp["DEBIAN_ROOTFS"]
        if let debian, FileManager.default.fileExists(atPath: debian) { result.append(debian) }
        return result
    }

    /// One line per entry: path, type, mode, owner, device numbers, mtime (not for directories'
    /// own, which umoci and strata both set), link target; plus a checksum of every regular file.
    static func describe(_ directory: String) async throws -> String {
        let script = """
            cd "$1" && find . -mindepth 1 -printf '%P %y %m %U:%G %T@ %l\\n' | LC_ALL=C sort \
              && find . -mindepth 1 \\( -type c -o -type b \\) -exec stat -c '%n %t:%T' {} + | LC_ALL=C sort \
              && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
            """
        let r = try await ProcessRunner.run("/bin/sh", ["-c", script, "sh", directory])
        guard r.status == 0 else { throw FixtureError("describing \(directory) failed: \(r)") }
        return r.stdout
    }

    /// A minimal OCI layout holding `tar` as its single uncompressed layer, for umoci.
    static func ociLayout(for tar: String, in scratch: URL) async throws -> String {
        let layout = scratch.appendingPathComponent("oci").path
        let script = """
            set -e; l=$1; t=$2; mkdir -p "$l/blobs/sha256"; echo '{"imageLayoutVersion":"1.0.0"}' >"$l/oci-layout"
            d=$(sha256sum "$t" | cut -d' ' -f1); s=$(stat -c %s "$t"); cp "$t" "$l/blobs/sha256/$d"
            c='{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:'$d'"]}}'
            cd=$(printf '%s' "$c" | sha256sum | cut -d' ' -f1); printf '%s' "$c" >"$l/blobs/sha256/$cd"
            m='{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:'$cd'","size":'${#c}'},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:'$d'","size":'$s'}]}'
            md=$(printf '%s' "$m" | sha256sum | cut -d' ' -f1); printf '%s' "$m" >"$l/blobs/sha256/$md"
            echo '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:'$md'","size":'${#m}',"annotations":{"org.opencontainers.image.ref.name":"t"}}]}' >"$l/index.json"
            """
        let r = try await ProcessRunner.run("/bin/bash", ["-c", script, "sh", layout, tar])
        guard r.status == 0 else { throw FixtureError("building the OCI layout failed: \(r)") }
        return layout
    }

    @Test("image unpack matches umoci unpack's rootfs", .enabled(if: shouldRun))
    func unpackMatchesUmoci() async throws {
        try Self.requireUmoci()
        for tarball in try Self.rootfsTarballs() {
            let strata = try StrataRunner()
            let scratch = try Files.tempDirectory("unpack")
            defer { _ = ProcessRunner.runBlocking("/bin/rm", ["-rf", scratch.path]) }
            try await strata.importImage(tarball, "strata-it/unpack:1")
            let mine = scratch.appendingPathComponent("mine").path
            let unpacked = try await strata("image", "unpack", "strata-it/unpack:1", mine)
            #expect(unpacked.status == 0 && unpacked.stdout.isEmpty && unpacked.stderr.isEmpty, "\(unpacked)")

            let layout = try await Self.ociLayout(for: tarball, in: scratch)
            let bundle = scratch.appendingPathComponent("bundle").path
            let reference = try await ProcessRunner.run(Self.umoci, ["unpack", "--image", layout + ":t", bundle], timeout: .seconds(300))
            guard reference.status == 0 else { throw FixtureError("umoci unpack failed: \(reference)") }

            let expected = try await Self.describe(bundle + "/rootfs")
            let actual = try await Self.describe(mine)
            #expect(!expected.isEmpty)
            if actual != expected {
                let a = Set(actual.split(separator: "\n")), e = Set(expected.split(separator: "\n"))
                Issue.record("""
                    \(tarball): strata differs from umoci
                    only umoci: \(e.subtracting(a).sorted().prefix(10))
                    only strata: \(a.subtracting(e).sorted().prefix(10))
                    """)
            }
        }
    }

    @Test("image unpack refuses a non-empty directory and reports unknown images")
    func unpackRefusals() async throws {
        let strata = try StrataRunner()
        let scratch = try Files.tempDirectory("unpack-refuse")
        defer { try? FileManager.default.removeItem(at: scratch) }
        try await strata.importImage(try Files.busyboxRootfs(), "strata-it/unpack:1")
        FileManager.default.createFile(atPath: scratch.appendingPathComponent("occupied").path, contents: Data())
        let busy = try await strata("image", "unpack", "strata-it/unpack:1", scratch.path)
        #expect(busy.status == 1 && busy.stderr.contains("directory is not empty"), "\(busy)")
        let missing = try await strata("image", "unpack", "strata-it/nope", scratch.appendingPathComponent("x").path)
        #expect(missing.status == 1)
        #expect(missing.stderr == "Error response from daemon: No such image: strata-it/nope:latest\n")
        let usage = try await strata("image", "unpack", "strata-it/unpack:1")
        #expect(usage.status == 1 && usage.stderr.hasPrefix("\"strata image unpack\" requires exactly 2 arguments."))
    }

    @Test("export writes the unpacked filesystem as a tar, to a file or to stdout")
    func exportMatchesUnpack() async throws {
        let strata = try StrataRunner()
        let scratch = try Files.tempDirectory("export")
        defer { _ = ProcessRunner.runBlocking("/bin/rm", ["-rf", scratch.path]) }
        try await strata.importImage(try Files.busyboxRootfs(), "strata-it/export:1")
        let unpacked = scratch.appendingPathComponent("unpacked").path
        #expect(try await strata("image", "unpack", "strata-it/export:1", unpacked).status == 0)
        let file = scratch.appendingPathComponent("out.tar").path
        let exported = try await strata("export", "-o", file, "strata-it/export:1")
        #expect(exported.status == 0 && exported.stdout.isEmpty, "\(exported)")
        let extracted = scratch.appendingPathComponent("extracted").path
        try FileManager.default.createDirectory(atPath: extracted, withIntermediateDirectories: true)
        let untar = try await ProcessRunner.run("/bin/tar", ["--numeric-owner", "-xpf", file, "-C", extracted])
        #expect(untar.status == 0, "\(untar)")
        #expect(try await Self.describe(extracted) == (try await Self.describe(unpacked)))
        // No scratch directory survives under the store root.
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: strata.root.path + "/tmp")) ?? []
        #expect(leftovers.isEmpty, "export left \(leftovers) behind")

        let piped = try await ProcessRunner.run("/bin/sh", ["-c", "\"$1\" --root \"$2\" export strata-it/export:1 | cmp - \"$3\"",
                                                            "sh", strata.binary, strata.root.path, file])
        #expect(piped.status == 0, "stdout export differs from -o export: \(piped)")
        let missing = try await strata("export", "strata-it/nope")
        #expect(missing.status == 1 && missing.stderr == "Error response from daemon: No such image: strata-it/nope:latest\n")
    }
}
