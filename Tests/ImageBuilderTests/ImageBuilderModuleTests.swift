import Testing
@testable import ImageBuilder

@Test func imageBuilderModuleLinks() { _ = ImageBuilderModule.self }
