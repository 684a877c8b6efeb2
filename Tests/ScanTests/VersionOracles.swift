import Foundation
import Scan
import Synchronization
import Testing

/// The reference implementations the version orderings are checked against. Each takes all pairs at once
/// (tab-separated lines) in one process and answers one line per pair: -1, 0, 1, or x when the tool refuses a
/// version. Nil when the oracle is not installed (a recorded failure under CI=true).
enum VersionOracles {
    static func pairLines(_ pairs: [(String, String)]) -> [UInt8] {
        Array(pairs.map { "\($0.0)\t\($0.1)\n" }.joined().utf8)
    }

    static func answers(_ output: [UInt8]) -> [Int?] {
        String(decoding: output, as: UTF8.self).split(separator: "\n").map { Int($0) }
    }

    static func scratch() throws -> URL { try ScanTestSupport.temporaryDirectory() }

    static func missing(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        if ScanTestSupport.isCI { Issue.record("\(what) is required under CI=true (scripts/install-test-tools)", sourceLocation: sourceLocation) }
    }

    /// `dpkg --compare-versions`, one process per comparison (so used on a sample), in two shells side by side.
    static func dpkgCommand(_ pairs: [(String, String)]) throws -> [Int?]? {
        guard ScanTestSupport.toolExists("dpkg") else { return nil }
        let script = """
            while IFS=$'\\t' read -r a b; do
              dpkg --compare-versions "$a" lt "$b" 2>/dev/null; r=$?
              if [ $r = 0 ]; then echo -1
              elif [ $r = 1 ]; then if dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then echo 0; else echo 1; fi
              else echo x; fi
            done
            """
        let half = pairs.count / 2
        let halves = [Array(pairs[..<half]), Array(pairs[half...])]
        let outputs = ScanOracleOutputs(count: 2)
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            outputs.set(index, try? ScanTestSupport.run(["/bin/bash", "-c", script], input: pairLines(halves[index])).output)
        }
        guard let first = outputs.get(0), let second = outputs.get(1) else { return nil }
        return answers(first) + answers(second)
    }

    /// dpkg's own parseversion and dpkg_version_compare (libdpkg, what `dpkg --compare-versions` runs) in one small
    /// C program: every pair in one process. A version dpkg only warns about still compares, as on the command line.
    static func dpkgLibrary(_ pairs: [(String, String)]) throws -> [Int?]? {
        guard ScanTestSupport.toolExists("cc") else { return nil }
        guard FileManager.default.fileExists(atPath: "/usr/include/dpkg/version.h") else {
            missing("libdpkg-dev")
            return nil
        }
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = """
            #define LIBDPKG_VOLATILE_API 1
            #include <stdio.h>
            #include <string.h>
            #include <dpkg/dpkg.h>
            #include <dpkg/dpkg-db.h>
            #include <dpkg/version.h>
            #include <dpkg/error.h>

            static int parse(struct dpkg_version *v, const char *s) {
              struct dpkg_error err = DPKG_ERROR_INIT;
              if (parseversion(v, s, &err) < 0) return err.type == DPKG_MSG_WARN;
              return 1;
            }

            int main(void) {
              static char line[1 << 16];
              while (fgets(line, sizeof line, stdin)) {
                line[strcspn(line, "\\n")] = 0;
                char *tab = strchr(line, '\\t');
                struct dpkg_version a, b;
                if (!tab) { puts("x"); continue; }
                *tab = 0;
                if (!parse(&a, line) || !parse(&b, tab + 1)) { puts("x"); continue; }
                int c = dpkg_version_compare(&a, &b);
                puts(c < 0 ? "-1" : c > 0 ? "1" : "0");
              }
              return 0;
            }
            """
        let file = directory.appendingPathComponent("dpkg-oracle.c")
        try source.write(to: file, atomically: true, encoding: .utf8)
        let binary = directory.appendingPathComponent("dpkg-oracle").path
        guard try ScanTestSupport.run(["/usr/bin/env", "cc", "-O1", "-o", binary, file.path, "-ldpkg"]).status == 0 else {
            Issue.record("building the libdpkg oracle failed")
            return nil
        }
        return answers(try ScanTestSupport.run([binary], input: pairLines(pairs)).output)
    }

    /// python3-rpm's `rpm.ver` (rpmverParse and rpmverCmp) in Debian's Python.
    static func rpm(_ pairs: [(String, String)]) throws -> [Int?]? {
        guard ScanTestSupport.toolExists("python3") else { return nil }
        guard (try? ScanTestSupport.run(["/usr/bin/python3", "-c", "import rpm"]).status) == 0 else {
            missing("python3-rpm")
            return nil
        }
        let program = """
            import sys, rpm
            out = []
            for line in sys.stdin.buffer.read().decode('utf-8').split('\\n'):
                if not line: continue
                a, b = line.split('\\t', 1)
                try:
                    x, y = rpm.ver(a), rpm.ver(b)
                except (ValueError, TypeError):
                    out.append('x'); continue
                out.append('-1' if x < y else ('0' if x == y else '1'))
            sys.stdout.write('\\n'.join(out) + '\\n')
            """
        return answers(try ScanTestSupport.run(["/usr/bin/python3", "-c", program], input: pairLines(pairs)).output)
    }

    /// PyPI `packaging`'s Version (InvalidVersion is x) in the tests' venv.
    static func pep440(_ pairs: [(String, String)]) throws -> [Int?]? {
        guard let python = ScanTestSupport.requireVenvPython() else { return nil }
        let program = """
            import sys
            from packaging.version import Version, InvalidVersion
            out = []
            for line in sys.stdin.buffer.read().decode('utf-8').split('\\n'):
                if not line: continue
                a, b = line.split('\\t', 1)
                try:
                    x, y = Version(a), Version(b)
                except InvalidVersion:
                    out.append('x'); continue
                out.append('-1' if x < y else ('0' if x == y else '1'))
            sys.stdout.write('\\n'.join(out) + '\\n')
            """
        return answers(try ScanTestSupport.run([python, "-c", program], input: pairLines(pairs)).output)
    }

    /// PyPI `semver` 3 (`Version.parse`, `compare`) in the tests' venv, after dropping the `=` and `v` npm
    /// tolerates in front.
    static func semver(_ pairs: [(String, String)]) throws -> [Int?]? {
        guard let python = ScanTestSupport.requireVenvPython() else { return nil }
        let program = """
            import sys
            from semver import Version
            def parse(s):
                if s.startswith('='): s = s[1:]
                if s.startswith('v'): s = s[1:]
                return Version.parse(s)
            out = []
            for line in sys.stdin.buffer.read().decode('utf-8').split('\\n'):
                if not line: continue
                a, b = line.split('\\t', 1)
                try:
                    x, y = parse(a), parse(b)
                except (ValueError, TypeError):
                    out.append('x'); continue
                out.append(str(x.compare(y)))
            sys.stdout.write('\\n'.join(out) + '\\n')
            """
        return answers(try ScanTestSupport.run([python, "-c", program], input: pairLines(pairs)).output)
    }

    /// golang.org/x/mod/semver (Debian's golang-golang-x-mod-dev) in a small Go program built once; a `v` is put
    /// in front of versions without one, as OSV writes Go versions without it.
    static func go(_ pairs: [(String, String)]) throws -> [Int?]? {
        guard ScanTestSupport.toolExists("go") else { return nil }
        let gopath = "/usr/share/gocode"
        guard FileManager.default.fileExists(atPath: gopath + "/src/golang.org/x/mod/semver/semver.go") else {
            missing("golang-golang-x-mod-dev")
            return nil
        }
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = """
            package main

            import (
            \t"bufio"
            \t"fmt"
            \t"os"
            \t"strings"

            \t"golang.org/x/mod/semver"
            )

            func withV(s string) string {
            \tif strings.HasPrefix(s, "v") {
            \t\treturn s
            \t}
            \treturn "v" + s
            }

            func main() {
            \tin := bufio.NewScanner(os.Stdin)
            \tin.Buffer(make([]byte, 1<<20), 1<<20)
            \tout := bufio.NewWriter(os.Stdout)
            \tdefer out.Flush()
            \tfor in.Scan() {
            \t\tparts := strings.SplitN(in.Text(), "\\t", 2)
            \t\ta, b := withV(parts[0]), withV(parts[1])
            \t\tif !semver.IsValid(a) || !semver.IsValid(b) {
            \t\t\tfmt.Fprintln(out, "x")
            \t\t\tcontinue
            \t\t}
            \t\tfmt.Fprintln(out, semver.Compare(a, b))
            \t}
            }
            """
        let file = directory.appendingPathComponent("oracle.go")
        try source.write(to: file, atomically: true, encoding: .utf8)
        let binary = directory.appendingPathComponent("oracle").path
        let cache = ScanTestSupport.packageRoot.appendingPathComponent(".build/scan-test-gocache").path
        let build = try ScanTestSupport.run([
            "/usr/bin/env", "GOPATH=\(gopath)", "GO111MODULE=off", "GOFLAGS=", "GOCACHE=\(cache)", "CGO_ENABLED=0",
            "go", "build", "-o", binary, file.path,
        ], directory: directory)
        guard build.status == 0 else {
            Issue.record("building the Go semver oracle failed")
            return nil
        }
        return answers(try ScanTestSupport.run([binary], input: pairLines(pairs)).output)
    }

    static let mavenJar = "/usr/share/java/maven3-artifact.jar"

    /// Maven's ComparableVersion (Debian's libmaven3-core-java) in one JVM running a single-file program.
    static func maven(_ pairs: [(String, String)]) throws -> [Int?]? {
        guard ScanTestSupport.toolExists("java") else { return nil }
        guard FileManager.default.fileExists(atPath: mavenJar) else {
            missing("libmaven3-core-java")
            return nil
        }
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = """
            import java.io.*;
            import java.nio.charset.StandardCharsets;
            import org.apache.maven.artifact.versioning.ComparableVersion;

            public class MavenOracle {
                public static void main(String[] args) throws IOException {
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                    StringBuilder out = new StringBuilder();
                    for (String line; (line = in.readLine()) != null; ) {
                        int tab = line.indexOf('\\t');
                        int c = new ComparableVersion(line.substring(0, tab)).compareTo(new ComparableVersion(line.substring(tab + 1)));
                        out.append(Integer.signum(c)).append('\\n');
                    }
                    System.out.print(out);
                }
            }
            """
        let file = directory.appendingPathComponent("MavenOracle.java")
        try source.write(to: file, atomically: true, encoding: .utf8)
        return answers(try ScanTestSupport.run(
            ["/usr/bin/env", "LC_ALL=C.UTF-8", "java", "-Xshare:auto", "-cp", mavenJar, file.path],
            input: pairLines(pairs)).output)
    }

    static func answers(for scheme: VersionScheme, _ pairs: [(String, String)]) throws -> [Int?]? {
        switch scheme {
        case .dpkg: return try dpkgLibrary(pairs)
        case .rpm: return try rpm(pairs)
        case .pep440: return try pep440(pairs)
        case .semver: return try semver(pairs)
        case .go: return try go(pairs)
        case .maven: return try maven(pairs)
        case .apk:
            // Debian has no apk-tools; a developer who builds its version comparison into a program speaking this
            // protocol (validate both, then apk_version_compare) can name it here for a local run.
            guard let oracle = ProcessInfo.processInfo.environment["STRATA_APK_ORACLE"] else { return nil }
            return answers(try ScanTestSupport.run([oracle], input: pairLines(pairs)).output)
        }
    }
}

/// Outputs of oracle processes run side by side.
final class ScanOracleOutputs: Sendable {
    private let values: Mutex<[[UInt8]?]>
    init(count: Int) { values = Mutex(Array(repeating: nil, count: count)) }
    func set(_ index: Int, _ value: [UInt8]?) { values.withLock { $0[index] = value } }
    func get(_ index: Int) -> [UInt8]? { values.withLock { $0[index] } }
}
