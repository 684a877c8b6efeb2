import Foundation
import Testing
@testable import ImageBuilder

/// `-o/--output` parsing, with the messages docker 20.10 printed for the same values (see the report).
@Suite struct OutputSpecTests {
    func error(_ spec: String) -> String? {
        do {
            _ = try BuildOutput.parse(spec)
            return nil
        } catch let error as BuildOutputError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func shorthandsAreALocalDirectoryOrATarOnStdout() throws {
        #expect(try BuildOutput.parse("out") == BuildOutput(kind: .local, destination: "out"))
        #expect(try BuildOutput.parse("-") == BuildOutput(kind: .tar, destination: "-"))
        // One field not starting with `type=` is a directory name, even when it looks like an attribute.
        #expect(try BuildOutput.parse("dest=x") == BuildOutput(kind: .local, destination: "dest=x"))
    }

    @Test func typedSpecsKeepTheirAttributesWithKeysLowercased() throws {
        #expect(try BuildOutput.parse("type=local,dest=/tmp/o") == BuildOutput(kind: .local, destination: "/tmp/o"))
        #expect(try BuildOutput.parse("Type=tar,DEST=/tmp/r.tar") == BuildOutput(kind: .tar, destination: "/tmp/r.tar"))
        let image = try BuildOutput.parse("type=image,name=x/y:1")
        #expect(image.kind == .image && image.names == ["x/y:1"] && !image.push)
        let quoted = try BuildOutput.parse("type=image,\"name=a/b:1,a/b:2\",push=true")
        #expect(quoted.names == ["a/b:1", "a/b:2"] && quoted.push)
        let registry = try BuildOutput.parse("type=registry,name=r/x")
        #expect(registry.kind == .image && registry.push)
        #expect(try BuildOutput.parse("type=oci").destination == "-")
        #expect(try BuildOutput.parse("type=docker").destination == nil)
        #expect(try BuildOutput.parse("type=docker,dest=d.tar,name=x/y").attributes == ["name": "x/y"])
    }

    @Test func badSpecsFailWithDockersWords() {
        #expect(error("type=local") == "dest is required for local output")
        #expect(error("type=tar") == "dest is required for tar output")
        // An unquoted comma starts a new CSV field, as in docker.
        #expect(error("type=image,name=x/y:1,x/y:2") == "failed to parse outputs: invalid value x/y:2")
        #expect(error("type=local,dest") == "failed to parse outputs: invalid value dest")
        #expect(error("dest=a,name=b") == "failed to parse outputs: type is required for output")
        #expect(error("type=bogus,dest=x") == "exporter \"bogus\" could not be found")
        #expect(error("type=local,\"dest=a") == "failed to parse outputs: parse error on line 1, column 19: extraneous or missing \" in quoted-field")
        #expect(error("type=lo\"cal") == "failed to parse outputs: parse error on line 1, column 8: bare \" in non-quoted-field")
        #expect(error("\"a\"b,c") == "failed to parse outputs: parse error on line 1, column 3: extraneous or missing \" in quoted-field")
        #expect(error("type=image,dest=x") == "output x is not supported by image exporter")
        #expect(throws: BuildOutputError.self) { try BuildOutput.parse(["a", "b"]) }
    }
}
