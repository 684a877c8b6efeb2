import Testing
@testable import DockerViews

@Test func starStopsAtSlash() {
    #expect(GoPathMatch.matches("busy*", "busybox") == true)
    #expect(GoPathMatch.matches("*", "library/busybox") == false)
    #expect(GoPathMatch.matches("*/*", "library/busybox") == true)
    #expect(GoPathMatch.matches("oracle/bb:?", "oracle/bb:1") == true)
    #expect(GoPathMatch.matches("[a-c]b", "bb") == true)
    #expect(GoPathMatch.matches("[^a-c]b", "bb") == false)
    #expect(GoPathMatch.matches("a\\*", "a*") == true)
    #expect(GoPathMatch.matches("[", "a") == nil)
    #expect(GoPathMatch.matches("[]a]", "a") == nil)
}
