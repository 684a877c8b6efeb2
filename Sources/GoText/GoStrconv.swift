/// Go's `strconv.ParseBool`: the spellings docker and BuildKit accept for a boolean option (`readonly=true`,
/// `--provenance=1`, `disabled=F`). Written here because it is Go's exact list; the one copy the Dockerfile frontend
/// and the build flags share.
public enum GoStrconv {
    /// The value, or nil when Go would return an error.
    public static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False": false
        default: nil
        }
    }
}
