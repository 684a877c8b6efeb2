import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import ImageBuilder

@Suite(.serialized) struct ContextChecksumTests {
    private func makeContext(_ ctx: String) {
        write(ctx + "/src/main.c", "int main(void) { return 0; }\n")
        write(ctx + "/src/util.c", "void util(void) {}\n")
        write(ctx + "/src/lib/deep.c", "/* deep */\n")
        write(ctx + "/README.md", "readme\n")
        write(ctx + "/build/out.o", "object\n")
        symlink("src/main.c", at: ctx + "/main-link")
        write(ctx + "/.dockerignore", "build\n*.md\n")
        write(ctx + "/Dockerfile", "FROM scratch\n")
    }

    private func setMtime(_ path: String, _ seconds: Int) {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        _ = utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
    }

    @Test func contentChangesChangeTheDigestAndMtimesDoNot() throws {
        let scratch = Scratch()
        let ctx = scratch.sub("ctx")
        makeContext(ctx)
        let cache = scratch.sub("cache")
        let first = try BuildContext.open(directory: ctx, cacheDirectory: cache)
        let base = try first.checksum(sources: ["src"])
        #expect(first.hashedFileCount == 3)

        // Touching mtimes only: same digest (the touched file is re-hashed, nothing else).
        setMtime(ctx + "/src/util.c", 1_000_000)
        let touched = try BuildContext.open(directory: ctx, cacheDirectory: cache)
        #expect(try touched.checksum(sources: ["src"]) == base)
        #expect(touched.hashedFileCount == 1)

        // Nothing changed: a reopened context answers everything from the persistent stat cache.
        let warm = try BuildContext.open(directory: ctx, cacheDirectory: cache)
        #expect(try warm.checksum(sources: ["src"]) == base)
        #expect(warm.hashedFileCount == 0)

        // Same size, new content: a new digest.
        write(ctx + "/src/util.c", "void UTIL(void) {}\n")
        let changed = try BuildContext.open(directory: ctx, cacheDirectory: cache)
        let afterChange = try changed.checksum(sources: ["src"])
        #expect(afterChange != base)
        #expect(changed.hashedFileCount == 1)

        // Mode changes count (they are copied); a rename counts.
        chmod(ctx + "/src/util.c", 0o755)
        #expect(try changed.checksum(sources: ["src"]) != afterChange)
        rename(ctx + "/src/util.c", ctx + "/src/util2.c")
        #expect(try changed.checksum(sources: ["src"]) != afterChange)
    }

    @Test func selectionRules() throws {
        let scratch = Scratch()
        let ctx = scratch.sub("ctx")
        makeContext(ctx)
        let context = try BuildContext.open(directory: ctx)
        // Ignored files are not there.
        #expect(throws: SourceError.notFound("/README.md")) { try context.checksum(sources: ["README.md"]) }
        #expect(throws: SourceError.notFound("/build/out.o")) { try context.checksum(sources: ["build/out.o"]) }
        // Changing an ignored file never changes a digest.
        let all = try context.checksum(sources: ["."])
        write(ctx + "/build/out.o", "other object\n")
        write(ctx + "/README.md", "changed\n")
        #expect(try context.checksum(sources: ["."]) == all)
        // A top-level symlink is followed: same content as its target under the same name rules.
        let viaLink = try context.checksum(sources: ["main-link"])
        #expect(viaLink != (try context.checksum(sources: ["src/main.c"])))  // the source text is part of it
        #expect(try context.checksum(sources: ["main-link"], followSymlinks: false) != viaLink)
        // Wildcards: per-segment Go matching.
        let tree = context.tree
        #expect(try tree.select("src/*.c").map(\.path) == ["src/main.c", "src/util.c"])
        #expect(try tree.select("*/*.c").map(\.path) == ["src/main.c", "src/util.c"])
        #expect(try tree.select("*/*/*.c").map(\.path) == ["src/lib/deep.c"])
        #expect(try tree.select("nomatch*").isEmpty)
        #expect(try tree.select("b*").isEmpty)  // build/ is ignored
    }

    @Test func sourceTreesKeepOwnersInTheirDigest() throws {
        guard geteuid() == 0 else { return }
        let scratch = Scratch()
        let stage = scratch.sub("stage")
        write(stage + "/app/bin", "x")
        let tree = SourceTree(rootDirectory: stage)
        let before = try tree.checksum(sources: ["/app"])
        chown(stage + "/app/bin", 5, 5)
        #expect(try tree.checksum(sources: ["/app"]) != before)
        // From the context owners are reset, so they do not count.
        let context = try BuildContext.open(directory: stage, dockerfilePath: stage + "/app/bin")
        let c1 = try context.checksum(sources: ["app"])
        chown(stage + "/app/bin", 6, 6)
        #expect(try context.checksum(sources: ["app"]) == c1)
    }

    @Test func hardLinksAreGroupedNotDuplicated() throws {
        let scratch = Scratch()
        let ctx = scratch.sub("ctx")
        write(ctx + "/d/a", "same")
        write(ctx + "/d/b", "same")
        let context = try BuildContext.open(directory: ctx, dockerfilePath: ctx + "/d/a")
        let separate = try context.checksum(sources: ["d"])
        unlink(ctx + "/d/b")
        link(ctx + "/d/a", ctx + "/d/b")
        #expect(try context.checksum(sources: ["d"]) != separate)
    }

    @Test func manyFilesHashConcurrentlyAndWarmRunsReadNothing() throws {
        let scratch = Scratch()
        let ctx = scratch.sub("ctx")
        for i in 0..<500 { write(ctx + "/f/\(i % 10)/file\(i)", String(repeating: "x", count: i * 37)) }
        write(ctx + "/Dockerfile", "FROM scratch\n")
        let cache = scratch.sub("cache")
        let cold = try BuildContext.open(directory: ctx, cacheDirectory: cache)
        let digest = try cold.checksum(sources: ["."])
        #expect(cold.hashedFileCount == 501)
        let warm = try BuildContext.open(directory: ctx, cacheDirectory: cache)
        #expect(try warm.checksum(sources: ["."]) == digest)
        #expect(warm.hashedFileCount == 0)
        // A rewritten cache file with garbage is ignored, not fatal.
        for name in try FileManager.default.contentsOfDirectory(atPath: cache) { write(cache + "/" + name, "garbage") }
        let again = try BuildContext.open(directory: ctx, cacheDirectory: cache)
        #expect(try again.checksum(sources: ["."]) == digest)
        #expect(again.hashedFileCount == 501)
    }
}
