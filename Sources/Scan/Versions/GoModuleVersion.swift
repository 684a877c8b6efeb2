// Go module version ordering, hand-written (no Swift library implements it). It follows the Go modules
// reference (https://go.dev/ref/mod#versions, #pseudo-versions) and golang.org/x/mod/semver: a `v`, then
// SemVer 2.0.0 where `vMAJOR` and `vMAJOR.MINOR` stand for `.0`; pseudo-versions
// (v0.0.0-20210101000000-abcdef123456) are pre-releases and order as such; `+incompatible` is build metadata and
// does not order. The tests compare it with golang.org/x/mod/semver.Compare.
// OSV's Go ecosystem writes versions without the `v` ("1.2.3"), so the `v` is optional here.

enum GoModuleVersion {
    static func compare(_ a: String, _ b: String) -> Int? {
        guard let x = parse(a), let y = parse(b) else { return nil }
        return x.order(y)
    }

    static func parse(_ text: String) -> SemanticVersion? {
        var bytes = ArraySlice(Array(text.utf8))
        if bytes.first == UInt8(ascii: "v") { bytes = bytes.dropFirst() }
        return SemanticVersion(strict: bytes, allowShorthand: true)
    }
}
