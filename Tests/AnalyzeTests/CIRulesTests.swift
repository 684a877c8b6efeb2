import Foundation
import Testing
@testable import Analyze

/// The `.dive-ci` reader, dive's threshold parsing (strconv.ParseFloat, go-humanize's ParseBytes) and the gate's
/// verdicts and wording (dive's CI output for an image 100 % efficient with 131 wasted bytes, 71.98 % of its user bytes).
@Suite struct CIRulesTests {
    static func analysis(efficiency: Double, wasted: Int64, userSize: Int64) -> ImageAnalysis {
        ImageAnalysis(layers: [], efficiency: efficiency, sizeBytes: userSize + 1000, userSizeBytes: userSize,
                      wastedBytes: wasted, userWastedPercent: userSize > 0 ? Double(wasted) / Double(userSize) : nil,
                      inefficientFileCount: 0, inefficientFiles: [], duplicateBytes: nil, duplicates: [])
    }

    @Test func parsesTheRulesBlock() throws {
        let text = """
        ---
        plugins:
          - plugin1

        rules:
          # If the efficiency is measured below X%, mark as failed.
          lowestEfficiency: 0.95   # a trailing comment

          highestWastedBytes: 20Mb
          highestUserWastedPercent: '0.5'
          plugin1/rule1: error
        other:
          lowestEfficiency: 0.1
        """
        let settings = try CIRuleSettings.parse(diveCI: text)
        #expect(settings == CIRuleSettings(lowestEfficiency: "0.95", highestWastedBytes: "20Mb", highestUserWastedPercent: "0.5"))
        let gate = try CIGate(settings)
        #expect(gate.lowestEfficiency == 0.95 && gate.highestWastedBytes == 20_000_000 && gate.highestUserWastedPercent == 0.5)
    }

    @Test func missingKeysKeepDivesDefaultsAndDisabledSpellingsDisable() throws {
        let settings = try CIRuleSettings.parse(diveCI: "rules:\n  highest-wasted-bytes: \"1.5 GiB\"\n  lowestEfficiency: disabled\n")
        #expect(settings == CIRuleSettings(lowestEfficiency: "disabled", highestWastedBytes: "1.5 GiB", highestUserWastedPercent: "0.1"))
        let gate = try CIGate(settings)
        #expect(gate.lowestEfficiency == nil && gate.highestWastedBytes == 1_610_612_736 && gate.highestUserWastedPercent == 0.1)
        for disabled in ["", "disabled", "Off", " FALSE ", "~"] {
            let parsed = try CIRuleSettings.parse(diveCI: "rules:\n  highestUserWastedPercent: \(disabled)\n")
            #expect(try CIGate(parsed).highestUserWastedPercent == nil, "\(disabled)")
        }
        #expect(try CIRuleSettings.parse(diveCI: "") == CIRuleSettings())
    }

    @Test func flagsOverrideTheFile() throws {
        let file = try CIRuleSettings.parse(diveCI: "rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20MB\n")
        let settings = file.overriding(lowestEfficiency: "0.5", highestUserWastedPercent: "disabled")
        #expect(settings == CIRuleSettings(lowestEfficiency: "0.5", highestWastedBytes: "20MB", highestUserWastedPercent: "disabled"))
    }

    @Test(arguments: [
        ("20MB", UInt64(20_000_000)), ("20Mb", 20_000_000), ("20MiB", 20_971_520), ("20 mb", 20_000_000), ("20M", 20_000_000),
        ("1,000", 1000), ("512", 512), ("1.5kB", 1500), ("2Ki", 2048), ("3GB", 3_000_000_000), ("0.5 b", 0),
    ])
    func byteSizesAsGoHumanizeReadsThem(text: String, bytes: UInt64) {
        #expect(GoByteSize.parse(text) == .success(bytes))
    }

    @Test func unreadableThresholdsAreReportedInDivesWords() {
        #expect(throws: AnalyzeError.invalidRules(
            "invalid highestWastedBytes config value, given \"20XB\": unhandled size name: xb")) {
            try CIGate(CIRuleSettings(highestWastedBytes: "20XB"))
        }
        #expect(throws: AnalyzeError.invalidRules(
            "invalid highestWastedBytes config value, given \"MB\": strconv.ParseFloat: parsing \"\": invalid syntax")) {
            try CIGate(CIRuleSettings(highestWastedBytes: "MB"))
        }
        #expect(throws: AnalyzeError.invalidRules(
            "lowestEfficiency config value is outside allowed range (0-1), given '1.500000'; "
            + "invalid highestUserWastedPercent config value, given \"lots\": strconv.ParseFloat: parsing \"lots\": invalid syntax")) {
            try CIGate(CIRuleSettings(lowestEfficiency: "1.5", highestUserWastedPercent: "lots"))
        }
        #expect(throws: AnalyzeError.self) { try CIRuleSettings.parse(diveCI: "rules: {lowestEfficiency: 0.9}\n") }
        #expect(throws: AnalyzeError.self) { try CIRuleSettings.parse(diveCI: "rules:\n  lowestEfficiency 0.9\n") }
        #expect(AnalyzeError.invalidRules("x").kind == .invalidArgument)
    }

    @Test func theDefaultGateOnDivesExampleImage() throws {
        let evaluation = try CIGate(CIRuleSettings()).evaluate(Self.analysis(efficiency: 1, wasted: 131, userSize: 182))
        #expect(evaluation.results.map(\.line) == [
            "  FAIL  highestUserWastedPercent (too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes=0.72 > threshold=0.1))",
            "  SKIP  highestWastedBytes (disabled)",
            "  PASS  lowestEfficiency (0.9)",
        ])
        #expect(!evaluation.passed && evaluation.summary == "FAIL [pass:1 fail:1 skip:1]")
    }

    @Test func eachRuleFailsPastItsThreshold() throws {
        let gate = try CIGate(CIRuleSettings(lowestEfficiency: "0.95", highestWastedBytes: "1kB", highestUserWastedPercent: "0.5"))
        let bad = gate.evaluate(Self.analysis(efficiency: 0.9012, wasted: 1001, userSize: 10_000))
        #expect(bad.results.map(\.status) == [.pass, .fail, .fail])
        #expect(bad.results[1].message == "too many bytes wasted (wasted-bytes=1001 > threshold=1000)")
        #expect(bad.results[2].message == "image efficiency is too low (efficiency=0.90 < threshold=0.95)")
        let good = gate.evaluate(Self.analysis(efficiency: 0.95, wasted: 1000, userSize: 2000))
        #expect(good.passed && good.summary == "PASS [pass:3]" && good.results[1].message == "1kB")
        // No user bytes: dive divides by zero, NaN passes and +Inf fails.
        #expect(gate.evaluate(Self.analysis(efficiency: 1, wasted: 0, userSize: 0)).results[0].status == .pass)
        let infinite = gate.evaluate(Self.analysis(efficiency: 1, wasted: 5, userSize: 0)).results[0]
        #expect(infinite.status == .fail && infinite.message.contains("=+Inf > threshold=0.5"))
        let whole = try CIGate(CIRuleSettings(lowestEfficiency: "1")).evaluate(Self.analysis(efficiency: 0.5, wasted: 0, userSize: 1))
        #expect(whole.results[2].message == "image efficiency is too low (efficiency=0.50 < threshold=1)")
    }
}
