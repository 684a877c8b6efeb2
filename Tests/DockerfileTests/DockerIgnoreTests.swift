import Foundation
import Testing
@testable import Dockerfile
import TestKit

/// `.dockerignore` semantics; rows marked "docker" were checked against BuildKit 20.10 (`COPY . /c`).
@Suite struct DockerIgnoreTests {
    private func excluded(_ text: String, _ path: String) throws -> Bool {
        try DockerIgnore(parsing: text).excludes(path)
    }

    @Test(arguments: [
        // pattern, path, excluded
        ("*.txt", "a.txt", true), ("*.txt", "d/b.txt", false), ("**/*.txt", "d/e/c.txt", true),
        ("**/*.txt", "a.txt", true), ("**", "anything/at/all", true), ("**", "x", true),
        ("**/", "file", true), ("**/file", "file", true), ("**/file", "dir/file", true),
        ("**/file", "dir/dir/file", true), ("dir/**", "dir/file", true), ("dir/**", "dir/dir2/file", true),
        ("dir/**", "dir", false), ("**/dir2/*", "dir/dir2/file", true), ("**/dir2/*", "dir/dir2/g/file", true),
        ("**file", "file", true), ("**file", "dir/file", true), ("**/file*", "dir/dir/file", true),
        ("**/file*txt", "dir/dir/file.txt", true), ("**/**", "dir/dir/file", true), ("**/dir2/**", "dir/dir2/file", true),
        ("**.txt", "file.txt", false), ("**.txt", ".txt", true), ("**.txt", "d/.txt", true),
        ("d", "d", true), ("d", "d/e/c.txt", true), ("d", "dd", false), ("d/e", "d/e/c.txt", true),
        ("file?txt", "fileXtxt", true), ("file?txt", "file/txt", false), ("x$y", "x$y", true),
        ("[a-c]*", "aab", true), ("[a-c]*", "d", false), ("[^a]*", "b", true), ("[^a]*", "a", false),
        ("a\\*b", "a*b", true), ("a\\*b", "axb", false),
        ("/d/../a.txt", "a.txt", true), ("./d/e", "d/e/c.txt", true), ("/abs", "abs", true),
        ("a+b", "aab", true), ("a+b", "a+b", false), ("a+b", "a+b/x", false), ("(x|y)", "y", true),
        ("dir/*", "dir/sub/file", true), ("*", "a/b/c", true), ("*/b", "a/b/c", true),
        ("#comment", "#comment", false), ("  spaced.txt  ", "spaced.txt", true),
    ])
    func singlePattern(pattern: String, path: String, expected: Bool) throws {
        #expect(try excluded(pattern, path) == expected, "\(pattern) vs \(path)")
    }

    @Test func lastMatchWins() throws {
        let ignore = try DockerIgnore(parsing: "*.md\n!README.md\nREADME.md\n!docs\n")
        #expect(ignore.excludes("a.md"))
        #expect(ignore.excludes("README.md"))
        let reinclude = try DockerIgnore(parsing: "*.md\n!README.md\n")
        #expect(!reinclude.excludes("README.md"))
        #expect(reinclude.excludes("CHANGES.md"))
    }

    @Test func exceptionsBelowExcludedDirectories() throws {
        // docker: `keep`, `!keep/inner` sends keep/ and keep/inner/k.txt, not keep/no.txt.
        let ignore = try DockerIgnore(parsing: "ignored.txt\nkeep\n!keep/inner\n")
        #expect(ignore.excludes("keep"))
        #expect(ignore.mayIncludeBelow(excludedDirectory: "keep"))
        #expect(!ignore.mayIncludeBelow(excludedDirectory: "other"))
        #expect(!ignore.excludes("keep/inner"))
        #expect(!ignore.excludes("keep/inner/k.txt"))
        #expect(ignore.excludes("keep/no.txt"))
        #expect(ignore.excludes("ignored.txt"))
        // The walk test is a plain prefix test on the exception's text (BuildKit's walker).
        let glob = try DockerIgnore(parsing: "d\n!*/x\n")
        #expect(!glob.mayIncludeBelow(excludedDirectory: "d"))
        // docker: `d/*`, `!d/e` re-includes d/e and everything below it.
        let nested = try DockerIgnore(parsing: "d/*\n!d/e\n")
        #expect(nested.excludes("d/b.txt"))
        #expect(!nested.excludes("d/e/c.txt"))
        #expect(!nested.excludes("d"))
    }

    @Test func readingFollowsTheCLI() {
        let lines = DockerIgnore.readLines("\u{FEFF}# comment\n  \n/abs/\n! /neg \n./x/../y\r\n  #notcomment\n")
        #expect(lines == ["abs", "!neg", "y", "#notcomment"])
    }

    @Test func badPatterns() {
        #expect(throws: DockerIgnoreError.illegalExclusion) { try DockerIgnore(parsing: "!\n") }
        #expect(throws: DockerIgnoreError.badPattern("[a-")) { try DockerIgnore(parsing: "[a-\n") }
        #expect(throws: DockerIgnoreError.badPattern("x\\")) { try DockerIgnore(patterns: ["x\\"]) }
        #expect(DockerIgnoreError.illegalExclusion.description == "illegal exclusion pattern: \"!\"")
    }

    /// Many patterns over many paths stay fast (no regex engine on the common path).
    @Test func manyPathsAreFast() throws {
        let ignore = try DockerIgnore(parsing: "**/*.o\nbuild\n!build/keep\nnode_modules\n*.log\n**/.git\n")
        let clock = ContinuousClock()
        var count = 0
        let elapsed = clock.measure {
            for i in 0..<20_000 where ignore.excludes("src/module\(i % 50)/file\(i).c") { count += 1 }
        }
        #expect(count == 0)
        #expect(elapsed < .seconds(2))
    }
}

/// The byte matcher must agree with the regexp moby builds from the same pattern, for any pattern.
@Suite struct DockerIgnoreDifferentialTests {
    @Test func tokenMatcherEqualsTheRegexTranslation() throws {
        var generator = SeededGenerator(seed: 0x5EED)
        let patternPieces = ["a", "b", "/", "*", "**", "?", ".", "[ab]", "[^a]", "\\*", "x", "**/", "/**"]
        let pathPieces = ["a", "b", "/", ".", "x", "*", "ab", "ba/", "a.b"]
        var checked = 0
        for _ in 0..<3000 {
            var pattern = ""
            for _ in 0..<(1 + generator.next() % 5) { pattern += patternPieces[Int(generator.next() % UInt64(patternPieces.count))] }
            guard let compiled = try? DockerIgnorePattern(pattern) else { continue }
            let regex = try NSRegularExpression(pattern: "^" + DockerIgnorePattern.regexBody(compiled.cleaned) + "$")
            for _ in 0..<20 {
                var path = ""
                for _ in 0..<(1 + generator.next() % 6) { path += pathPieces[Int(generator.next() % UInt64(pathPieces.count))] }
                let expected = regex.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil
                #expect(compiled.matches(path) == expected, "pattern \(compiled.cleaned) path \(path)")
                checked += 1
            }
        }
        #expect(checked > 10_000)
    }
}

