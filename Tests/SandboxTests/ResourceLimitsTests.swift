import Testing
@testable import Sandbox

/// `--memory`, `--shm-size` and `--ulimit` values read as docker 20.10's client reads them (go-units), with its
/// messages (checked against /usr/bin/docker of the peer).
@Suite("Sandbox: resource flag values")
struct ResourceLimitsTests {
    @Test("RAMInBytes: binary units, any case, optional i and b, one optional space")
    func sizes() throws {
        let accepted: [(String, Int64)] = [
            ("1024", 1024), ("64m", 64 << 20), ("64M", 64 << 20), ("1g", 1 << 30), ("1G", 1 << 30), ("2k", 2048),
            ("1b", 1), ("1B", 1), ("1ib", 1), ("1kb", 1024), ("1KiB", 1024), ("1mi", 1 << 20), ("1MiB", 1 << 20),
            ("1mb", 1 << 20), ("1 m", 1 << 20), ("1.5m", 1_572_864), ("1t", 1 << 40), ("1p", 1 << 50), ("0", 0),
            ("1 ", 1),
        ]
        for (text, bytes) in accepted { #expect(try RAMSize.parse(text) == bytes, "\(text)") }
        // A value past int64 turns into the smallest int64, as Go's conversion does (dockerd then refuses it).
        #expect(try RAMSize.parse("99999999999999999999") == Int64.min)
        #expect(try RAMSize.parse("9223372036854775807") == Int64.min)
    }

    @Test("RAMInBytes refusals in go-units' words")
    func badSizes() {
        for text in ["foo", "", "-1", "+1m", "10x", " 1m", ".5m", "1.m", "1kk", "0x10", "1e3", "1  m", "m"] {
            #expect(throws: FlagValueError("invalid size: '\(text)'"), "\(text)") { try RAMSize.parse(text) }
        }
        #expect(throws: FlagValueError("strconv.ParseFloat: parsing \"1.2.3\": invalid syntax")) { try RAMSize.parse("1.2.3m") }
    }

    @Test("ParseUlimit: soft[:hard], docker's names and messages")
    func ulimits() throws {
        #expect(try Ulimit.parse("nofile=1024:2048") == Ulimit(name: "nofile", soft: 1024, hard: 2048))
        #expect(try Ulimit.parse("nproc=100") == Ulimit(name: "nproc", soft: 100, hard: 100))
        #expect(try Ulimit.parse("core=-1") == Ulimit(name: "core", soft: -1, hard: -1))
        #expect(try Ulimit.parse("core=0:-1") == Ulimit(name: "core", soft: 0, hard: -1))
        #expect(try Ulimit.parse("stack=+8") == Ulimit(name: "stack", soft: 8, hard: 8))
        for name in ["nofile", "nproc", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "rtprio",
                     "rttime", "sigpending", "stack", "as", "rss"] {
            #expect(try Ulimit.parse("\(name)=1").resource >= 0, "\(name)")
        }
        #expect(try Ulimit.parse("nofile=1").resource == 7)
        let refused: [(String, String)] = [
            ("x=1", "invalid ulimit type: x"),
            ("NOFILE=5", "invalid ulimit type: NOFILE"),
            ("nofile", "invalid ulimit argument: nofile"),
            ("nofile=2:1", "ulimit soft limit must be less than or equal to hard limit: 2 > 1"),
            ("nofile=a", "strconv.ParseInt: parsing \"a\": invalid syntax"),
            ("nofile=", "strconv.ParseInt: parsing \"\": invalid syntax"),
            // go-units reads the hard value first.
            ("nofile=a:b", "strconv.ParseInt: parsing \"b\": invalid syntax"),
            ("nofile=1:2:3", "too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`"),
            ("nofile=99999999999999999999", "strconv.ParseInt: parsing \"99999999999999999999\": value out of range"),
        ]
        for (text, message) in refused {
            #expect(throws: FlagValueError(message), "\(text)") { try Ulimit.parse(text) }
        }
        #expect(try GoInteger.parseInt64("-9223372036854775808") == Int64.min)
        #expect(try GoInteger.parseInt64("9223372036854775807") == Int64.max)
    }

    @Test("dockerd's checks, one limit per name, and what enters a RUN step's cache key")
    func limits() throws {
        #expect(throws: ResourceLimitError.memoryBelowMinimum) { try ResourceLimits(memory: 1024).validate() }
        #expect(throws: ResourceLimitError.negativeShmSize) { try ResourceLimits(shmSize: Int64.min).validate() }
        try ResourceLimits(shmSize: 0, memory: 0).validate()
        try ResourceLimits(memory: 6 << 20).validate()
        #expect(ResourceLimitError.memoryBelowMinimum.description == "Minimum memory limit allowed is 6MB")
        #expect(ResourceLimitError.negativeShmSize.description == "SHM size can not be less than 0")

        var limits = ResourceLimits()
        #expect(limits.isDefault && limits.keyParts.isEmpty && limits.effectiveShmSize == 64 << 20 && limits.memoryLimit == nil)
        limits.add(Ulimit(name: "nofile", soft: 1, hard: 2))
        limits.add(Ulimit(name: "core", soft: 0, hard: 0))
        limits.add(Ulimit(name: "nofile", soft: 3, hard: 4))
        #expect(limits.ulimits == [Ulimit(name: "nofile", soft: 3, hard: 4), Ulimit(name: "core", soft: 0, hard: 0)])
        limits.shmSize = 128 << 20
        limits.memory = 64 << 20
        #expect(limits.keyParts == ["shm-size", "134217728", "ulimit", "core=0:0", "ulimit", "nofile=3:4", "memory", "67108864"])
        #expect(ResourceLimits(shmSize: 0, memory: 0).keyParts.isEmpty)
    }

    @Test("a hierarchy that is neither cgroup2 nor v1's memory hierarchy is refused in one line")
    func noCgroup() throws {
        let error = #expect(throws: SandboxError.self) { try CgroupHierarchy.detect(base: "/proc/self") }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.hasPrefix("a memory limit (-m, --memory) needs cgroup v2") && !text.contains("\n"), "\(text)")
    }
}
