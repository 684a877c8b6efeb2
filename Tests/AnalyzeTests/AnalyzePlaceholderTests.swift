import Testing
@testable import Analyze

@Suite struct AnalyzeModuleTests {
    @Test func moduleLinks() { #expect(Bool(true)) }
}
