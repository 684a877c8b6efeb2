import Foundation
import Testing

@testable import Archive

/// Hostile layers: each must leave everything outside the target exactly as it was. Names and links
/// resolve as if the target were "/" (docker unpacks chrooted), so escapes land inside the target.
@Suite struct LayerApplySafetyTests {
    /// Applies `build`, allowing it to fail, and checks nothing outside the target changed.
    @discardableResult
    static func applyHostile(_ fixture: LayerApplyFixture, _ build: (TarWriter) throws -> Void) throws -> Error? {
        let before = fixture.outsideSnapshot()
        var failure: Error?
        do { try fixture.apply(build) } catch { failure = error }
        #expect(fixture.outsideSnapshot() == before)
        return failure
    }

    @Test func dotDotNamesAreClampedToTheTarget() throws {
        let fixture = try LayerApplyFixture()
        try Self.applyHostile(fixture) { tar in
            try tar.file("../escape", "1")
            try tar.file("a/../../escape2", "2")
            try tar.file("/../../sentinel/secret", "3")
            try tar.directory("../../../sentinel/dir/")
        }
        #expect(fixture.contents("escape") == "1" && fixture.contents("escape2") == "2")
        #expect(fixture.contents("sentinel/secret") == "3")
    }

    @Test func absoluteNamesLandInsideTheTarget() throws {
        let fixture = try LayerApplyFixture()
        let outside = fixture.sentinel.appendingPathComponent("secret").path
        try Self.applyHostile(fixture) { try $0.file(outside, "overwritten?") }
        #expect(fixture.contents(String(outside.dropFirst())) == "overwritten?")
    }

    @Test func parentSymlinkPointingOutsideIsResolvedInside() throws {
        let fixture = try LayerApplyFixture()
        try Self.applyHostile(fixture) { tar in
            try tar.symlink("abs", to: fixture.sentinel.path)
            try tar.file("abs/secret", "a")
            try tar.symlink("rel", to: "../../../sentinel")
            try tar.file("rel/secret", "r")
            try tar.symlink("dotdot", to: "..")
            try tar.file("dotdot/sentinel/dir/inner", "d")
        }
        #expect(fixture.contents(String(fixture.sentinel.path.dropFirst()) + "/secret") == "a")
        #expect(fixture.contents("sentinel/secret") == "r")
        #expect(fixture.contents("sentinel/dir/inner") == "d")
    }

    @Test func parentSymlinkPointingInsideIsFollowed() throws {
        let fixture = try LayerApplyFixture()
        try Self.applyHostile(fixture) { tar in
            try tar.directory("real/")
            try tar.symlink("in", to: "real")
            try tar.file("in/file", "via link")
            try tar.symlink("real/up", to: "../real/./")
            try tar.file("real/up/up/second", "2")
        }
        #expect(fixture.linkTarget("in") == "real")
        #expect(fixture.contents("real/file") == "via link")
        #expect(fixture.contents("real/second") == "2")
    }

    @Test func symlinkSwappedInMidLayerIsNotWrittenThrough() throws {
        let fixture = try LayerApplyFixture()
        try Self.applyHostile(fixture) { tar in
            try tar.directory("d/")
            try tar.file("d/x", "x")
            try tar.symlink("d", to: fixture.sentinel.path)  // replaces the directory the walk had open
            try tar.file("d/secret", "through the swapped link")
            try tar.file("d/dir/inner", "again")
        }
        #expect(fixture.linkTarget("d") == fixture.sentinel.path)
        let inside = String(fixture.sentinel.path.dropFirst())
        #expect(fixture.contents(inside + "/secret") == "through the swapped link")
        #expect(fixture.contents(inside + "/dir/inner") == "again")
    }

    @Test func hardLinkToOutsideFilesFails() throws {
        let fixture = try LayerApplyFixture()
        let outside = fixture.sentinel.appendingPathComponent("secret").path
        for target in ["../sentinel/secret", "../../../../sentinel/secret", outside] {
            let error = try Self.applyHostile(fixture) { try $0.hardLink("h", to: target) }
            #expect(error != nil, "hard link to \(target) must not find the outside file")
        }
        #expect(fixture.outsideSnapshot().contains { $0.hasPrefix("sentinel/secret ") && $0.contains(" n1 ") })
    }

    @Test func hardLinkThroughSymlinkStaysInside() throws {
        let fixture = try LayerApplyFixture()
        let error = try Self.applyHostile(fixture) { tar in
            try tar.symlink("out", to: fixture.sentinel.path)
            try tar.hardLink("h", to: "out/secret")
        }
        #expect(error != nil)
        let fixture2 = try LayerApplyFixture()
        try Self.applyHostile(fixture2) { tar in
            try tar.symlink("out", to: "/inside")
            try tar.file("inside/secret", "mine")
            try tar.hardLink("h", to: "out/secret")
            try tar.hardLink("hl", to: "out")  // a link to the symlink itself, not to what it names
        }
        #expect(fixture2.contents("h") == "mine")
        #expect(fixture2.linkTarget("hl") == "/inside")
    }

    @Test func whiteoutsCannotReachOutside() throws {
        let fixture = try LayerApplyFixture()
        try Self.applyHostile(fixture) { tar in
            try tar.file("../.wh.sentinel")
            try tar.file("../../sentinel/.wh.secret")
            try tar.symlink("out", to: fixture.sentinel.path)
            try tar.file("out/.wh.secret")
            try tar.file("out/.wh.dir")
            try tar.file("out/.wh..wh..opq")
            try tar.symlink("rel", to: "../sentinel")
            try tar.file("rel/.wh..wh..opq")
        }
        for name in ["a/.wh..", "a/.wh...", "a/.wh.", ".wh.."] {
            let error = try Self.applyHostile(fixture) { try $0.file(name) }
            #expect(error != nil, "\(name) is not a valid whiteout")
        }
    }

    @Test func symlinkLoopsFailInsteadOfHanging() throws {
        let fixture = try LayerApplyFixture()
        let error = try Self.applyHostile(fixture) { tar in
            try tar.symlink("a", to: "b")
            try tar.symlink("b", to: "a/x")
            try tar.file("a/file", "x")
        }
        #expect(error != nil)
        let selfLoop = try Self.applyHostile(fixture) { tar in
            try tar.symlink("s", to: "s")
            try tar.hardLink("h", to: "s/x")
        }
        #expect(selfLoop != nil)
    }

    @Test func deepTreesNeedNeitherStackNorDescriptors() throws {
        let fixture = try LayerApplyFixture()
        var path = ""
        try Self.applyHostile(fixture) { tar in
            for level in 0..<400 {
                path += "d\(level % 10)/"
                try tar.directory(path)
            }
            try tar.file(path + "leaf", "deep")
            try tar.symlink(path + "up", to: "../../..")
            try tar.file(path + "up/x", "x")
        }
        #expect(fixture.contents(path + "leaf") == "deep")
        try Self.applyHostile(fixture) { try $0.file(".wh.d0") }
        #expect(fixture.listing().isEmpty)
    }
}
