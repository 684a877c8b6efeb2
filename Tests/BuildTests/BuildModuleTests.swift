import Testing
@testable import Build

@Test func buildModuleLinks() { _ = BuildModule.self }
