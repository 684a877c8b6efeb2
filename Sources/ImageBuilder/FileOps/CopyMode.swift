/// `--chmod` of COPY and ADD, read as current BuildKit reads it: an octal number up to 07777 (setuid,
/// setgid and sticky bits kept) that replaces the mode of every copied file and directory, or a
/// symbolic mode in chmod(1)'s grammar (`u+x,go-w`, `a=rX`) applied to each entry's own mode. Anything
/// else is BuildKit's error. Written here because the grammar is small and no package offers it.
public enum CopyMode: Sendable, Equatable {
    case octal(UInt32)
    case symbolic([Clause])

    /// One comma-separated part: who, then operations in order.
    public struct Clause: Sendable, Equatable {
        var who: UInt32            // mask over the 0o7777 bits the clause may touch
        var operations: [Operation]
    }

    struct Operation: Sendable, Equatable {
        var op: Character          // "+", "-" or "="
        var permissions: String    // letters from "rwxXst", or one of "u", "g", "o" (copy another class)
    }

    /// A value that is neither octal within 07777 nor a symbolic mode.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public let text: String
        public var description: String {
            "invalid chmod parameter: '\(text)'. it should be octal string and between 0 and 07777"
        }
    }

    public static func parse(_ text: String) throws(Invalid) -> CopyMode {
        if !text.isEmpty, text.allSatisfy(\.isNumber) {
            guard let value = UInt32(text, radix: 8), value <= 0o7777 else { throw Invalid(text: text) }
            return .octal(value)
        }
        var clauses: [Clause] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            var index = part.startIndex
            var who: UInt32 = 0
            while index < part.endIndex, let mask = whoMask(part[index]) {
                who |= mask
                index = part.index(after: index)
            }
            var operations: [Operation] = []
            while index < part.endIndex {
                let op = part[index]
                guard op == "+" || op == "-" || op == "=" else { throw Invalid(text: text) }
                index = part.index(after: index)
                var permissions = ""
                while index < part.endIndex, "rwxXstugo".contains(part[index]) {
                    permissions.append(part[index])
                    index = part.index(after: index)
                }
                let copiesClass = permissions.contains(where: { "ugo".contains($0) })
                if copiesClass && permissions.count != 1 { throw Invalid(text: text) }
                operations.append(Operation(op: op, permissions: permissions))
            }
            guard !operations.isEmpty else { throw Invalid(text: text) }
            clauses.append(Clause(who: who == 0 ? 0o7777 : who, operations: operations))
        }
        guard !clauses.isEmpty else { throw Invalid(text: text) }
        return .symbolic(clauses)
    }

    /// The mode (0o7777 bits) an entry gets, from its own mode.
    public func apply(to mode: UInt32, isDirectory: Bool) -> UInt32 {
        switch self {
        case .octal(let value):
            return value
        case .symbolic(let clauses):
            var current = mode & 0o7777
            for clause in clauses {
                for operation in clause.operations {
                    let bits = Self.bits(operation.permissions, current: current, isDirectory: isDirectory) & clause.who
                    switch operation.op {
                    case "+": current |= bits
                    case "-": current &= ~bits
                    default:
                        // "=" clears what the clause's classes cover (their rwx and their special bit).
                        current = (current & ~Self.clearedByAssign(clause.who)) | bits
                    }
                }
            }
            return current
        }
    }

    private static func whoMask(_ character: Character) -> UInt32? {
        switch character {
        case "u": return 0o4700
        case "g": return 0o2070
        case "o": return 0o1007
        case "a": return 0o7777
        default: return nil
        }
    }

    private static func clearedByAssign(_ who: UInt32) -> UInt32 {
        var cleared: UInt32 = 0
        if who & 0o700 != 0 { cleared |= 0o4700 }
        if who & 0o070 != 0 { cleared |= 0o2070 }
        if who & 0o007 != 0 { cleared |= 0o1007 }
        return cleared
    }

    /// The bits `permissions` names, over every class (the clause's who masks them).
    private static func bits(_ permissions: String, current: UInt32, isDirectory: Bool) -> UInt32 {
        if permissions.count == 1, let source = permissions.first, "ugo".contains(source) {
            let shift: UInt32 = source == "u" ? 6 : source == "g" ? 3 : 0
            let rwx = (current >> shift) & 0o7
            return rwx << 6 | rwx << 3 | rwx
        }
        var result: UInt32 = 0
        for letter in permissions {
            switch letter {
            case "r": result |= 0o444
            case "w": result |= 0o222
            case "x": result |= 0o111
            case "X": if isDirectory || current & 0o111 != 0 { result |= 0o111 }
            case "s": result |= 0o6000
            case "t": result |= 0o1000
            default: break
            }
        }
        return result
    }
}
