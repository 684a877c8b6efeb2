/// What a RUN with heredocs executes, decided as BuildKit's dockerfile frontend (1.4+) decides it.
public enum RunHeredocCommand: Sendable, Hashable {
    /// `RUN <<EOF` alone: the (tab-stripped) body is the shell command, run as `SHELL + [body]`.
    case script(String)
    /// `RUN <<EOF` whose body starts with `#!`: BuildKit writes the body to `/dev/pipes/NAME` (mode 0755,
    /// read-only mount) and runs `SHELL + ["/dev/pipes/NAME"]`.
    case executable(name: String, content: String)
    /// Any other shell command with heredocs (`RUN cat <<A > /x`): the command line is rebuilt as
    /// `line + "\n" + body + name` for each heredoc and given to the shell, which reads the heredocs itself.
    case shellText(String)
}

extension RunInstruction {
    /// How to run this RUN's heredocs; nil when it has none (or uses the exec form).
    public var heredocCommand: RunHeredocCommand? {
        guard !heredocs.isEmpty, case .shell(let line) = command else { return nil }
        if (try? HeredocSyntax.heredoc(line)) != nil, let first = heredocs.first {
            if first.content.hasPrefix("#!") {
                return .executable(name: first.name, content: first.effectiveContent)
            }
            return .script(first.effectiveContent)
        }
        var full = line
        for heredoc in heredocs {
            full += "\n" + heredoc.content
            if !heredoc.content.isEmpty && !heredoc.content.hasSuffix("\n") { full += "\n" }
            full += heredoc.name
        }
        return .shellText(full)
    }
}
