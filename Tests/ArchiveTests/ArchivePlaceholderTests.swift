import Testing
@testable import Archive

@Test func ArchiveModuleLinks() { #expect(Bool(true)) }
