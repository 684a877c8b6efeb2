/// Turns the licence strings catalogers find (SPDX expressions, Debian short names, PyPI classifiers, Maven and
/// npm free text) into SPDX license expressions, but only when the mapping is certain: a string with any part
/// that is not a known SPDX identifier (or a certain alias of one) stays free text, which the SPDX writer
/// carries as a `LicenseRef-…` with its text and the CycloneDX writer as a licence name. Hand-written from the
/// SPDX 2.3 specification's Annex D (license expression syntax).
enum LicenseExpression {
    /// What one licence string became.
    enum Mapping: Hashable {
        /// A single SPDX license identifier.
        case identifier(String)
        /// A compound SPDX expression of known identifiers (`MIT OR Apache-2.0`, `GPL-2.0-or-later WITH …`).
        case expression(String)
        /// Free text that could not be mapped with certainty (trimmed).
        case freeText(String)
    }

    static func map(_ raw: String) -> Mapping {
        let text = raw.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        if let id = identifier(for: text) { return .identifier(id) }
        if let expression = parse(text) {
            return expression.contains(" ") ? .expression(expression) : .identifier(expression)
        }
        return .freeText(text)
    }

    /// A known identifier or a certain alias, spelled as the SPDX license list spells it.
    static func identifier(for text: String) -> String? {
        var key = text.lowercased()
        for prefix in ["license :: osi approved :: ", "license :: "] where key.hasPrefix(prefix) {
            key.removeFirst(prefix.count)
        }
        return identifiersByLowercase[key] ?? aliases[key]
    }

    // MARK: - Expression syntax

    private enum Token: Equatable { case open, close, and, or, with, word(String) }

    private static func tokenize(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var word = ""
        func flush() {
            guard !word.isEmpty else { return }
            switch word.lowercased() {
            case "and": tokens.append(.and)
            case "or": tokens.append(.or)
            case "with": tokens.append(.with)
            default: tokens.append(.word(word))
            }
            word = ""
        }
        for character in text {
            switch character {
            case "(": flush(); tokens.append(.open)
            case ")": flush(); tokens.append(.close)
            case " ", "\t": flush()
            default: word.append(character)
            }
        }
        flush()
        return tokens
    }

    /// The normalised expression when every identifier in `text` is known (or a `LicenseRef-`), else nil.
    static func parse(_ text: String) -> String? {
        var tokens = tokenize(text)
        guard !tokens.isEmpty, tokens.count < 200 else { return nil }
        // Parentheses around the whole expression are dropped: `(MIT OR Apache-2.0)` as npm writes it.
        while tokens.first == .open, tokens.last == .close, closingIndex(tokens, from: 0) == tokens.count - 1 {
            tokens = Array(tokens.dropFirst().dropLast())
        }
        var position = 0
        func parseOr(depth: Int) -> String? {
            guard depth < 20, var left = parseAnd(depth: depth) else { return nil }
            while position < tokens.count, tokens[position] == .or {
                position += 1
                guard let right = parseAnd(depth: depth) else { return nil }
                left += " OR " + right
            }
            return left
        }
        func parseAnd(depth: Int) -> String? {
            guard var left = parseFactor(depth: depth) else { return nil }
            while position < tokens.count, tokens[position] == .and {
                position += 1
                guard let right = parseFactor(depth: depth) else { return nil }
                left += " AND " + right
            }
            return left
        }
        func parseFactor(depth: Int) -> String? {
            guard position < tokens.count else { return nil }
            switch tokens[position] {
            case .open:
                position += 1
                guard let inner = parseOr(depth: depth + 1), position < tokens.count, tokens[position] == .close else { return nil }
                position += 1
                return inner.contains(" ") ? "(" + inner + ")" : inner
            case .word(let word):
                position += 1
                guard let license = identifier(for: word) ?? licenseReference(word) else { return nil }
                if position < tokens.count, tokens[position] == .with {
                    position += 1
                    guard position < tokens.count, case .word(let exception) = tokens[position],
                          let known = exceptionsByLowercase[exception.lowercased()] else { return nil }
                    position += 1
                    return license + " WITH " + known
                }
                return license
            default:
                return nil
            }
        }
        guard let result = parseOr(depth: 0), position == tokens.count else { return nil }
        return result
    }

    private static func closingIndex(_ tokens: [Token], from start: Int) -> Int? {
        var depth = 0
        for index in start..<tokens.count {
            if tokens[index] == .open { depth += 1 }
            if tokens[index] == .close {
                depth -= 1
                if depth == 0 { return index }
            }
        }
        return nil
    }

    /// `LicenseRef-…` (or `DocumentRef-…:LicenseRef-…`) as written, when well formed.
    private static func licenseReference(_ word: String) -> String? {
        guard word.hasPrefix("LicenseRef-"), word.count > 11,
              word.utf8.allSatisfy({ isIdentifierByte($0) }) else { return nil }
        return word
    }

    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"): return true
        default: return false
        }
    }

    // MARK: - Identifiers

    /// SPDX license list identifiers a container image commonly carries (each checked against the SPDX list that
    /// CycloneDX's schema and the license-expression library ship).
    static let knownIdentifiers: [String] = """
        0BSD AFL-2.1 AFL-3.0 AGPL-1.0-only AGPL-1.0-or-later AGPL-3.0-only AGPL-3.0-or-later Apache-1.0 Apache-1.1 \
        Apache-2.0 APSL-2.0 Artistic-1.0 Artistic-1.0-Perl Artistic-2.0 Beerware BlueOak-1.0.0 BSD-1-Clause \
        BSD-2-Clause BSD-2-Clause-Patent BSD-3-Clause BSD-3-Clause-Clear BSD-4-Clause BSL-1.0 bzip2-1.0.6 CC-BY-3.0 \
        CC-BY-4.0 CC-BY-SA-3.0 CC-BY-SA-4.0 CC0-1.0 CDDL-1.0 CDDL-1.1 CECILL-2.1 curl ECL-2.0 EPL-1.0 EPL-2.0 \
        EUPL-1.1 EUPL-1.2 FSFAP FSFUL FSFULLR FTL GFDL-1.1-only GFDL-1.1-or-later GFDL-1.2-only GFDL-1.2-or-later \
        GFDL-1.3-only GFDL-1.3-or-later GPL-1.0-only GPL-1.0-or-later GPL-2.0-only GPL-2.0-or-later GPL-3.0-only \
        GPL-3.0-or-later HPND ICU IJG Info-ZIP IPL-1.0 ISC LGPL-2.0-only LGPL-2.0-or-later LGPL-2.1-only \
        LGPL-2.1-or-later LGPL-3.0-only LGPL-3.0-or-later Libpng libpng-2.0 MIT MIT-0 MirOS MPL-1.0 MPL-1.1 MPL-2.0 \
        MS-PL NCSA NTP OFL-1.1 OLDAP-2.8 OpenSSL PHP-3.01 PostgreSQL PSF-2.0 Python-2.0 Ruby SGI-B-2.0 Sleepycat \
        TCL Unicode-DFS-2016 Unicode-3.0 Unlicense UPL-1.0 Vim W3C WTFPL X11 Zlib ZPL-2.1 zlib-acknowledgement
        """.split(separator: " ").map(String.init)

    static let knownExceptions: [String] = """
        Classpath-exception-2.0 GCC-exception-2.0 GCC-exception-3.1 LLVM-exception Autoconf-exception-2.0 \
        Autoconf-exception-3.0 Bison-exception-2.2 Font-exception-2.0 Libtool-exception Linux-syscall-note \
        Qt-LGPL-exception-1.1 WxWindows-exception-3.1 u-boot-exception-2.0 FLTK-exception eCos-exception-2.0
        """.split(separator: " ").map(String.init)

    private static let identifiersByLowercase: [String: String] = Dictionary(
        knownIdentifiers.map { ($0.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
    private static let exceptionsByLowercase: [String: String] = Dictionary(
        knownExceptions.map { ($0.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })

    /// Names that denote exactly one identifier: SPDX's deprecated forms, Debian's copyright-format short names,
    /// Fedora's short names, PyPI classifiers and the usual Maven/npm spellings. Names that leave the version or
    /// the variant open ("BSD", "GPL", "Apache Software License") are deliberately absent.
    private static let aliases: [String: String] = [
        "gpl-1.0": "GPL-1.0-only", "gpl-1.0+": "GPL-1.0-or-later", "gpl-1": "GPL-1.0-only", "gpl-1+": "GPL-1.0-or-later",
        "gpl-2.0": "GPL-2.0-only", "gpl-2.0+": "GPL-2.0-or-later", "gpl-2": "GPL-2.0-only", "gpl-2+": "GPL-2.0-or-later",
        "gplv2": "GPL-2.0-only", "gplv2+": "GPL-2.0-or-later",
        "gpl-3.0": "GPL-3.0-only", "gpl-3.0+": "GPL-3.0-or-later", "gpl-3": "GPL-3.0-only", "gpl-3+": "GPL-3.0-or-later",
        "gplv3": "GPL-3.0-only", "gplv3+": "GPL-3.0-or-later",
        "lgpl-2.0": "LGPL-2.0-only", "lgpl-2.0+": "LGPL-2.0-or-later", "lgpl-2": "LGPL-2.0-only", "lgpl-2+": "LGPL-2.0-or-later",
        "lgplv2": "LGPL-2.0-only", "lgplv2+": "LGPL-2.0-or-later",
        "lgpl-2.1": "LGPL-2.1-only", "lgpl-2.1+": "LGPL-2.1-or-later", "lgplv2.1": "LGPL-2.1-only", "lgplv2.1+": "LGPL-2.1-or-later",
        "lgpl-3.0": "LGPL-3.0-only", "lgpl-3.0+": "LGPL-3.0-or-later", "lgpl-3": "LGPL-3.0-only", "lgpl-3+": "LGPL-3.0-or-later",
        "lgplv3": "LGPL-3.0-only", "lgplv3+": "LGPL-3.0-or-later",
        "agpl-3.0": "AGPL-3.0-only", "agpl-3.0+": "AGPL-3.0-or-later", "agpl-3": "AGPL-3.0-only", "agpl-3+": "AGPL-3.0-or-later",
        "agplv3": "AGPL-3.0-only", "agplv3+": "AGPL-3.0-or-later",
        "gfdl-1.2": "GFDL-1.2-only", "gfdl-1.2+": "GFDL-1.2-or-later", "gfdl-1.3": "GFDL-1.3-only", "gfdl-1.3+": "GFDL-1.3-or-later",
        "expat": "MIT", "mit license": "MIT", "the mit license": "MIT", "mit license (mit)": "MIT", "the mit license (mit)": "MIT",
        "apache-2": "Apache-2.0", "apache 2": "Apache-2.0", "apache 2.0": "Apache-2.0", "apache license 2.0": "Apache-2.0",
        "apache license, version 2.0": "Apache-2.0", "apache license version 2.0": "Apache-2.0", "asl 2.0": "Apache-2.0",
        "apache software license 2.0": "Apache-2.0", "the apache software license, version 2.0": "Apache-2.0",
        "the apache license, version 2.0": "Apache-2.0", "apache-2.0 license": "Apache-2.0",
        "bsd-3-clause": "BSD-3-Clause", "bsd 3-clause": "BSD-3-Clause", "bsd 3-clause license": "BSD-3-Clause",
        "new bsd license": "BSD-3-Clause", "modified bsd license": "BSD-3-Clause", "3-clause bsd license": "BSD-3-Clause",
        "bsd-2-clause": "BSD-2-Clause", "bsd 2-clause": "BSD-2-Clause", "bsd 2-clause license": "BSD-2-Clause",
        "simplified bsd license": "BSD-2-Clause", "2-clause bsd license": "BSD-2-Clause",
        "isc license": "ISC", "isc license (iscl)": "ISC",
        "mpl 2.0": "MPL-2.0", "mpl-2": "MPL-2.0", "mozilla public license 2.0": "MPL-2.0",
        "mozilla public license 2.0 (mpl 2.0)": "MPL-2.0",
        "zlib license": "Zlib", "zlib/libpng license": "Zlib",
        "python software foundation license": "PSF-2.0", "psf license": "PSF-2.0",
        "the unlicense": "Unlicense", "the unlicense (unlicense)": "Unlicense",
        "cc0": "CC0-1.0", "cc0 1.0 universal": "CC0-1.0", "cc0 1.0 universal (cc0 1.0) public domain dedication": "CC0-1.0",
        "boost software license 1.0": "BSL-1.0", "boost software license 1.0 (bsl-1.0)": "BSL-1.0",
        "eclipse public license 2.0": "EPL-2.0", "epl 2.0": "EPL-2.0", "eclipse public license - v 2.0": "EPL-2.0",
        "eclipse public license 1.0": "EPL-1.0", "epl 1.0": "EPL-1.0", "eclipse public license - v 1.0": "EPL-1.0",
        "gnu general public license v2 (gplv2)": "GPL-2.0-only", "gnu general public license v3 (gplv3)": "GPL-3.0-only",
        "gnu general public license v2 or later (gplv2+)": "GPL-2.0-or-later",
        "gnu general public license v3 or later (gplv3+)": "GPL-3.0-or-later",
        "gnu lesser general public license v2 or later (lgplv2+)": "LGPL-2.0-or-later",
        "gnu lesser general public license v3 (lgplv3)": "LGPL-3.0-only",
        "gnu lesser general public license v3 or later (lgplv3+)": "LGPL-3.0-or-later",
        "gnu affero general public license v3": "AGPL-3.0-only",
        "gnu affero general public license v3 or later (agplv3+)": "AGPL-3.0-or-later",
    ]
}
