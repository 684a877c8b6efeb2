import Testing
import GoText
import OCI

@Test func starStopsAtSlash() {
    #expect(GoPathGlob.matches("busy*", "busybox") == true)
    #expect(GoPathGlob.matches("*", "library/busybox") == false)
    #expect(GoPathGlob.matches("*/*", "library/busybox") == true)
    #expect(GoPathGlob.matches("oracle/bb:?", "oracle/bb:1") == true)
    #expect(GoPathGlob.matches("[a-c]b", "bb") == true)
    #expect(GoPathGlob.matches("[^a-c]b", "bb") == false)
    #expect(GoPathGlob.matches("a\\*", "a*") == true)
    #expect(GoPathGlob.matches("[", "a") == nil)
    #expect(GoPathGlob.matches("[]a]", "a") == nil)
}

@Test func goPathClean() {
    #expect(GoPath.clean("") == ".")
    #expect(GoPath.clean("/../a//b/./c/..") == "/a/b")
    #expect(GoPath.clean("../a") == "../a")
    #expect(GoPath.clean("a/../..") == "..")
    #expect(GoPath.clean("/") == "/")
}

@Test func goPathGlobMatches() {
    #expect(GoPathGlob.matches("*.txt", "a.txt") == true)
    #expect(GoPathGlob.matches("*", "a/b") == false)
    #expect(GoPathGlob.matches("a?c", "abc") == true)
    #expect(GoPathGlob.matches("[^a]x", "bx") == true)
    #expect(GoPathGlob.matches("[a-", "a") == nil)
    #expect(GoPathGlob.matches("\\*", "*") == true)
    #expect(GoPathGlob.hasMeta("su*"))
    #expect(!GoPathGlob.hasMeta("plain/path"))
}

@Test func goDurations() throws {
    #expect(try GoDuration.parse("1h2m3.5s") == 3_723_500_000_000)
    #expect(try GoDuration.parse("0") == 0)
    #expect(try GoDuration.parse("1.5us") == 1_500)
    #expect(throws: GoDurationError("time: unknown unit \"x\" in duration \"5x\"")) { try GoDuration.parse("5x") }
    #expect(throws: GoDurationError("time: invalid duration \"\"")) { try GoDuration.parse("") }
}
