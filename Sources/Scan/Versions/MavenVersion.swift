// Maven's version ordering, hand-written (no Swift library implements it). It follows Maven's
// ComparableVersion as shipped in Maven 3.8 (maven-artifact, org.apache.maven.artifact.versioning; the
// ordering described at https://maven.apache.org/pom.html#version-order-specification): `.` and `-` separate
// items, a switch between digits and letters separates too; `-` and such a switch open a sub-list; numbers
// compare numerically; qualifiers alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp
// < other strings (lexically); `a1`, `b2`, `m3` abbreviate alpha, beta, milestone; trailing null items
// (0, "", empty lists) are dropped. The tests compare it with that class (Debian's libmaven3-core-java).
// Any string is a Maven version.

enum MavenVersion {
    static func compare(_ a: String, _ b: String) -> Int? {
        let x = parse(a)
        let y = parse(b)
        return Item.list(x).compare(.list(y))
    }

    /// One parsed item. Numbers are ASCII digit runs without leading zeros (empty for zero); strings are
    /// qualifiers after aliasing, as UTF-16 code units (Java compares strings by them).
    indirect enum Item {
        case number(ArraySlice<UInt8>)
        case string([UInt16])
        case list(ListNode)

        var isNull: Bool {
            switch self {
            case .number(let digits): return digits.isEmpty
            case .string(let value): return MavenVersion.comparable(value) == MavenVersion.releaseIndex
            case .list(let node): return node.items.isEmpty
            }
        }

        /// Compares with another item, or with nothing (`nil`: the other version has run out of items).
        func compare(_ other: Item?) -> Int {
            switch self {
            case .number(let digits):
                guard let other else { return digits.isEmpty ? 0 : 1 }
                if case .number(let theirs) = other { return DigitRun.compare(digits, theirs) }
                return 1
            case .string(let value):
                guard let other else { return MavenVersion.order(MavenVersion.comparable(value), MavenVersion.releaseIndex) }
                switch other {
                case .number, .list: return -1
                case .string(let theirs): return MavenVersion.order(MavenVersion.comparable(value), MavenVersion.comparable(theirs))
                }
            case .list(let node):
                guard let other else {
                    // Every item against nothing, not only the first (Maven 3.8's fix for MNG-6964).
                    for item in node.items {
                        let result = item.compare(nil)
                        if result != 0 { return result }
                    }
                    return 0
                }
                switch other {
                case .number: return -1
                case .string: return 1
                case .list(let theirs):
                    var index = 0
                    while index < node.items.count || index < theirs.items.count {
                        let left = index < node.items.count ? node.items[index] : nil
                        let right = index < theirs.items.count ? theirs.items[index] : nil
                        let result: Int
                        if let left { result = left.compare(right) } else if let right { result = -right.compare(nil) } else { result = 0 }
                        if result != 0 { return result }
                        index += 1
                    }
                    return 0
                }
            }
        }
    }

    /// A list item; a class because the parser appends to lists it has already placed in their parent.
    final class ListNode {
        var items: [Item] = []

        /// Drops trailing null items, stopping at the first non-null item that is not a list.
        func normalize() {
            var index = items.count - 1
            while index >= 0 {
                let item = items[index]
                if item.isNull {
                    items.remove(at: index)
                } else if case .list = item {
                } else {
                    break
                }
                index -= 1
            }
        }
    }

    static let qualifiers: [[UInt16]] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"].map { Array($0.utf16) }
    static let releaseIndex: [UInt16] = Array("5".utf16)

    /// The qualifier's index among the known ones, else "7-" and the qualifier: compared as strings.
    static func comparable(_ value: [UInt16]) -> [UInt16] {
        if let index = qualifiers.firstIndex(of: value) { return Array(String(index).utf16) }
        return Array("\(qualifiers.count)-".utf16) + value
    }

    static func order(_ a: [UInt16], _ b: [UInt16]) -> Int {
        for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    /// Java's Character.isDigit on one UTF-16 unit, and the digit's value.
    static func digitValue(_ unit: UInt16) -> UInt8? {
        if unit >= 0x30 && unit <= 0x39 { return UInt8(unit - 0x30) }
        guard unit >= 0x80, let scalar = Unicode.Scalar(unit), scalar.properties.generalCategory == .decimalNumber,
              let value = scalar.properties.numericValue, value >= 0, value <= 9 else { return nil }
        return UInt8(value)
    }

    static func stringItem(_ units: ArraySlice<UInt16>, followedByDigit: Bool) -> Item {
        var value = Array(units)
        if followedByDigit && value.count == 1 {
            switch value[0] {
            case 0x61: value = Array("alpha".utf16)
            case 0x62: value = Array("beta".utf16)
            case 0x6D: value = Array("milestone".utf16)
            default: break
            }
        }
        switch String(decoding: value, as: UTF16.self) {
        case "ga", "final", "release": value = []
        case "cr": value = Array("rc".utf16)
        default: break
        }
        return .string(value)
    }

    static func item(isDigit: Bool, _ units: ArraySlice<UInt16>) -> Item {
        guard isDigit else { return stringItem(units, followedByDigit: false) }
        let digits = units.compactMap(digitValue).map { $0 + 0x30 }
        return .number(ArraySlice(digits).drop { $0 == 0x30 })
    }

    /// ComparableVersion.parseVersion over the lower-cased string's UTF-16 units.
    static func parse(_ text: String) -> ListNode {
        let units = Array(text.lowercased().utf16)
        let root = ListNode()
        var list = root
        var stack = [root]
        var isDigit = false
        var start = 0
        func openList() {
            let node = ListNode()
            list.items.append(.list(node))
            list = node
            stack.append(node)
        }
        for (i, unit) in units.enumerated() {
            if unit == UInt16(ascii: ".") || unit == UInt16(ascii: "-") {
                list.items.append(i == start ? .number([]) : item(isDigit: isDigit, units[start..<i]))
                start = i + 1
                if unit == UInt16(ascii: "-") { openList() }
            } else if digitValue(unit) != nil {
                if !isDigit && i > start {
                    if !list.items.isEmpty { openList() }
                    list.items.append(stringItem(units[start..<i], followedByDigit: true))
                    start = i
                    openList()
                }
                isDigit = true
            } else {
                if isDigit && i > start {
                    list.items.append(item(isDigit: true, units[start..<i]))
                    start = i
                    openList()
                }
                isDigit = false
            }
        }
        if units.count > start {
            if !isDigit && !list.items.isEmpty { openList() }
            list.items.append(item(isDigit: isDigit, units[start...]))
        }
        for node in stack.reversed() { node.normalize() }
        return root
    }
}

extension UInt16 {
    init(ascii: Unicode.Scalar) { self = UInt16(ascii.value) }
}
