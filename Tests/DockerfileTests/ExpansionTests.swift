import Testing
@testable import Dockerfile

@Suite struct ExpansionTests {
    let expander = VariableExpander()

    @Test(arguments: [
        ("$A", "hello"), ("${A}", "hello"), ("${A}_x", "hello_x"), ("$A_x", ""), ("$1x", "x"),
        ("${UNSET:-def}", "def"), ("${A:-def}", "hello"), ("${Z:-def}", "def"), ("${Z-def}", ""), ("${UNSET-def}", "def"),
        ("${A:+alt}", "alt"), ("${Z:+alt}", ""), ("${Z+alt}", "alt"), ("${UNSET+alt}", ""), ("${UNSET:+alt}", ""),
        ("${A:?msg}", "hello"), ("${Z?msg}", ""),
        ("'$A'", "$A"), ("\"$A\"", "hello"), ("\\$A", "$A"), ("a\\ b", "a b"), ("\"a\\\"b\"", "a\"b"),
        ("\"a\\\\b\\c\"", "a\\b\\c"), ("'a\\b'", "a\\b"), ("${A:-$B}", "hello"), ("${UNSET:-$B}", "x y"),
        ("${A:+\"q w\"}", "q w"), ("\\'a\\'", "'a'"), ("$", "$"), ("a$", "a$"), ("$-x", "x"), ("trailing\\", "trailing"),
    ])
    func processWord(_ input: String, _ expected: String) throws {
        let environment = ["A": "hello", "B": "x y", "Z": ""]
        #expect(try expander.expand(input, environment: environment) == expected)
    }

    @Test func processWordsSplitsOnUnquotedAndExpandedWhitespace() throws {
        let environment = ["B": "x y", "P": "80 443/udp"]
        #expect(try expander.expandWords("$P 22", environment: environment) == ["80", "443/udp", "22"])
        #expect(try expander.expandWords("\"$B\" 'a b' c\\ d", environment: environment) == ["x y", "a b", "c d"])
        #expect(try expander.expandWords("  ", environment: environment) == [])
    }

    @Test func errorsAreWordedLikeBuildKit() {
        func message(_ word: String) -> String? {
            do { _ = try expander.expand(word, environment: ["Z": ""]); return nil } catch { return error.message }
        }
        // Recorded from docker 20.10 (BuildKit).
        #expect(message("${b:?oops}") == "failed to process \"${b:?oops}\": b: oops")
        #expect(message("${b:=x}") == "failed to process \"${b:=x}\": unsupported modifier (=) in substitution")
        #expect(message("${b") == "failed to process \"${b\": missing ':' in substitution")
        #expect(message("\"x") == "failed to process \"\\\"x\": unexpected end of statement while looking for matching double-quote")
        // Newer BuildKit messages.
        #expect(message("${b?}") == "failed to process \"${b?}\": b: is not allowed to be unset")
        #expect(message("${Z:?}") == "failed to process \"${Z:?}\": Z: is not allowed to be empty")
        #expect(message("'x") == "failed to process \"'x\": unexpected end of statement while looking for matching single-quote")
        #expect(message("${}") == "failed to process \"${}\": syntax error: bad substitution")
        #expect(message("${") == "failed to process \"${\": syntax error: missing '}'")
        #expect(message("${a:-x") == "failed to process \"${a:-x\": syntax error: missing '}'")
    }

    @Test func backtickEscape() throws {
        let backtick = VariableExpander(escapeCharacter: "`")
        #expect(try backtick.expand("c:\\dir `$A", environment: ["A": "x"]) == "c:\\dir $A")
        #expect(try backtick.expand("\"a`\"b\"", environment: [:]) == "a\"b")
    }

    @Test func environmentFromEntries() {
        #expect(VariableExpander.environment(["A=1", "B", "A=2=3"]) == ["A": "2=3", "B": ""])
    }

    /// Replays ENV/LABEL/WORKDIR/USER/STOPSIGNAL/EXPOSE the way the builder expands them and compares with
    /// what docker 20.10 (BuildKit) put into the image config for the same Dockerfile.
    @Test func matchesDockerImageConfig() throws {
        let text = #"""
        FROM local/busybox:latest
        ENV A=hello B="x y" Z=
        ENV C=${A}-$B D=${UNSET:-def} E=${A:+alt} F='$A' G="$A" H=\$A I=a\ b J="a\"b" K=${A:-x}y L=$A$B M=${A}_x N=$A_x
        ENV O=${A:+"q w"} P=\'a\' Q=${A:?ok} R=${Z:-empty} S=${Z:+set} T="a\\b\c" U='a\b' V=$1x W=${A:-$B}
        ENV old value with   spaces $A "q"
        LABEL "l1"="$A" l2='$A' l3=a"b c"d
        WORKDIR /$A/x
        USER $A:${B}
        STOPSIGNAL ${A:+SIGKILL}
        EXPOSE 80/UDP ${B:+90}
        """#
        let document = try parsed(text)
        let expander = document.expander
        var env: [(String, String)] = [("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")]
        var labels: [String: String] = [:]
        var scope: [String: String] { Dictionary(env, uniquingKeysWith: { $1 }) }
        var workdir = "", user = "", signal = ""
        var ports: [String] = []
        for instruction in document.stages[0].instructions {
            switch instruction {
            case .env(let e):
                let before = scope
                for pair in e.variables {
                    env.append((try expander.expand(pair.key, environment: before), try expander.expand(pair.value, environment: before)))
                }
            case .label(let l):
                for pair in l.labels { labels[try expander.expand(pair.key, environment: scope)] = try expander.expand(pair.value, environment: scope) }
            case .workdir(let w): workdir = try expander.expand(w.path, environment: scope)
            case .user(let u): user = try expander.expand(u.user, environment: scope)
            case .stopSignal(let s): signal = try expander.expand(s.signal, environment: scope)
            case .expose(let e): for port in e.ports { ports += try expander.expandWords(port, environment: scope) }
            default: break
            }
        }
        #expect(env.map { "\($0.0)=\($0.1)" } == [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "A=hello", "B=x y", "Z=", "C=hello-x y", "D=def", "E=alt", "F=$A", "G=hello", "H=$A", "I=a b", "J=a\"b",
            "K=helloy", "L=hellox y", "M=hello_x", "N=", "O=q w", "P='a'", "Q=hello", "R=empty", "S=",
            "T=a\\b\\c", "U=a\\b", "V=x", "W=hello", "old=value with   spaces hello q",
        ])
        #expect(labels == ["l1": "hello", "l2": "$A", "l3": "ab cd"])
        #expect(workdir == "/hello/x" && user == "hello:x y" && signal == "SIGKILL")
        #expect(ports == ["90", "80/UDP"])  // sorted unexpanded, as BuildKit sorts them
    }
}
