import Testing
@testable import Scan

@Suite struct CatalogedPackageTests {
    @Test func purlTypesFollowThePackageURLSpec() {
        #expect(PackageType.python.purlType == "pypi")
        #expect(PackageType.goModule.purlType == "golang")
        #expect(PackageType.javaArchive.purlType == "maven")
        #expect(PackageType.allCases.filter(\.isOSPackage) == [.deb, .apk, .rpm])
    }
}
