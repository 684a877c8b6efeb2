import Foundation
import Testing

@testable import Archive

/// A deep directory tree costs linear work per entry (it once cost cubic time: 33 s for 1,000 levels), and a path
/// longer than the kernel's PATH_MAX is refused as docker refuses it ("file name too long").
@Suite struct DeepTreeTests {
    @Test func aThousandLevelsApplyQuickly() throws {
        let fixture = try LayerApplyFixture()
        let started = ContinuousClock.now
        try fixture.apply { tar in
            var path = ""
            for _ in 0..<1000 {
                path += path.isEmpty ? "d" : "/d"
                try tar.directory(path + "/")
            }
            try tar.file(path + "/f", "deep")
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(fixture.contents(Array(repeating: "d", count: 1000).joined(separator: "/") + "/f") == "deep")
    }

    @Test func pathsBeyondPathMaxAreRefused() throws {
        let fixture = try LayerApplyFixture()
        do {
            try fixture.apply { tar in
                var path = ""
                for _ in 0..<2100 {
                    path += path.isEmpty ? "d" : "/d"
                    try tar.directory(path + "/")
                }
            }
            Issue.record("a 4,200-byte path was applied")
        } catch {
            #expect("\(error)".lowercased().contains("file name too long"), "\(error)")
        }
    }
}
