import Testing
@testable import Sandbox

@Test func sandboxModuleLinks() { _ = SandboxModule.self }
