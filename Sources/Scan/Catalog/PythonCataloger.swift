/// Python distributions from their core metadata (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO` or a
/// single-file `*.egg-info`): RFC 822 headers Name, Version, License-Expression, License and the
/// `License ::` classifiers (https://packaging.python.org/en/latest/specifications/core-metadata/).
enum PythonCataloger {
    static func packages(metadata bytes: [UInt8], path: String, warnings: inout [String]) -> [CatalogedPackage] {
        guard let text = String(validating: bytes, as: UTF8.self), !bytes.contains(0) else {
            warnings.append("/\(path): not a text metadata file (invalid UTF-8), skipped")
            return []
        }
        var malformed: [Int] = []
        guard let headers = ControlFields.stanzas(text, headerOnly: true, malformedLines: &malformed).first,
            let name = headers.first("Name").map(ControlFields.trimmed), !name.isEmpty,
            let version = headers.first("Version").map(ControlFields.trimmed), !version.isEmpty
        else {
            warnings.append("/\(path): no Name and Version headers, skipped")
            return []
        }
        var licenses: [String] = []
        func add(_ license: Substring?) {
            guard let license = license.map(ControlFields.trimmed), !license.isEmpty, license != "UNKNOWN",
                license.utf8.count <= 200
            else { return }
            let text = String(license)
            if !licenses.contains(text) { licenses.append(text) }
        }
        add(headers.first("License-Expression"))
        if licenses.isEmpty {
            // Older metadata may carry a whole licence text here; only a one-line value is a licence name.
            if let license = headers.all("License").first, !license.contains("\n") { add(license) }
        }
        for classifier in headers.all("Classifier") where classifier.hasPrefix("License ::") {
            let last = classifier.split(separator: ":").last.map(ControlFields.trimmed)
            if let last, last != "OSI Approved" { add(last) }
        }
        return [CatalogedPackage(name: String(name), version: String(version), type: .python, purl: "", licenses: licenses)]
    }
}
