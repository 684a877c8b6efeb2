import Testing
@testable import Analyze

@Suite struct AnalyzeInterimTests {
    @Test func moduleLinks() { #expect(AnalysisOptions().topCount > 0) }
}
