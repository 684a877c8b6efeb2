import Testing
@testable import Format

@Test func FormatModuleLinks() { #expect(Bool(true)) }
