/// Go's `json.Indent` over compact JSON: docker re-indents the Engine API's bytes this way for
/// `inspect`, keeping `[]` and `{}` on one line.
public enum JSONIndent {
    public static func indent(_ compact: String, prefix: String = "", indent: String = "    ") -> String {
        var out = ""
        out.reserveCapacity(compact.utf8.count * 2)
        var depth = 0
        var inString = false
        var escaped = false
        var needsIndent = false
        func newline() {
            out += "\n" + prefix
            for _ in 0..<depth { out += indent }
        }
        for character in compact {
            if inString {
                out.append(character)
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                continue
            }
            if character == " " || character == "\t" || character == "\n" || character == "\r" { continue }
            if needsIndent && character != "]" && character != "}" {
                needsIndent = false
                depth += 1
                newline()
            }
            switch character {
            case "\"":
                inString = true
                out.append(character)
            case "{", "[":
                out.append(character)
                needsIndent = true
            case ",":
                out.append(character)
                newline()
            case ":":
                out += ": "
            case "}", "]":
                if needsIndent {
                    needsIndent = false  // empty composite stays compact
                } else {
                    depth -= 1
                    newline()
                }
                out.append(character)
            default:
                out.append(character)
            }
        }
        return out
    }
}
