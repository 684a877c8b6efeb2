import Foundation
import Testing
@testable import ImageBuilder
import TestKit

/// `--chmod` values: octal within 07777 (special bits kept), BuildKit's error for anything else, and
/// symbolic modes checked against coreutils chmod(1) (umask 0, which is how BuildKit reads a mode without
/// a "who") over seeded random modes on files and directories.
struct CopyModeTests {
    @Test func octalKeepsSpecialBitsAndRejectsTheRest() throws {
        #expect(try CopyMode.parse("4755").apply(to: 0o644, isDirectory: false) == 0o4755)
        #expect(try CopyMode.parse("0").apply(to: 0o644, isDirectory: true) == 0)
        #expect(try CopyMode.parse("07777").apply(to: 0, isDirectory: false) == 0o7777)
        for bad in ["999", "10000", "8", "64a", "", "u+q", "u", "+x,", ",", "a+x=y", "u+ug", "-0"] {
            #expect(throws: CopyMode.Invalid.self, "\(bad)") { try CopyMode.parse(bad) }
        }
        #expect(CopyMode.Invalid(text: "999").description
                == "invalid chmod parameter: '999'. it should be octal string and between 0 and 07777")
    }

    @Test func symbolicModesMatchCoreutilsChmod() throws {
        var generator = SeededGenerator(seed: 0x5eed_c0de)
        let scratch = Scratch()
        var cases: [(mode: String, start: UInt32, isDirectory: Bool)] = []
        for _ in 0..<600 {
            // GNU chmod keeps a directory's setuid/setgid bits under "=" unless named; BuildKit has no such rule,
            // so directories are tried without those bits.
            let isDirectory = generator.next(upTo: 3) == 0
            var clauses: [String] = []
            for _ in 0..<generator.next(upTo: 3) + 1 {
                var clause = ""
                for who in ["u", "g", "o", "a"] where generator.next(upTo: 3) == 0 { clause += who }
                for _ in 0..<generator.next(upTo: 2) + 1 {
                    clause += ["+", "-", "="][generator.next(upTo: 3)]
                    if generator.next(upTo: 6) == 0 {
                        clause += ["u", "g", "o"][generator.next(upTo: 3)]
                    } else {
                        for letter in ["r", "w", "x", "X", "s", "t"] where generator.next(upTo: 3) == 0
                            && !(isDirectory && letter == "s") { clause += letter }
                    }
                }
                clauses.append(clause)
            }
            let start = UInt32(generator.next(upTo: 0o10000)) & (isDirectory ? 0o1777 : 0o7777)
            cases.append((clauses.joined(separator: ","), start, isDirectory))
        }
        var script = "umask 0\ncd '\(scratch.path)'\n"
        for (index, item) in cases.enumerated() {
            let create = item.isDirectory ? "mkdir e\(index)" : ": > e\(index)"
            script += "\(create); chmod \(String(item.start, radix: 8)) e\(index); chmod -- '\(item.mode)' e\(index) 2>/dev/null;"
                + " stat -c %a e\(index)\n"
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let results = output.split(separator: "\n").map { UInt32($0, radix: 8) }
        try #require(results.count == cases.count)
        for (item, expected) in zip(cases, results) {
            let ours = try CopyMode.parse(item.mode).apply(to: item.start, isDirectory: item.isDirectory)
            #expect(ours == expected, "\(item.mode) on \(item.isDirectory ? "dir" : "file") \(String(item.start, radix: 8))")
        }
    }
}

