import OCI

/// The ARGs BuildKit defines without a declaration: the platform ones and the proxy ones.
///
/// Scope rules (BuildKit): the platform ARGs are in the global scope automatically, so FROM lines may use
/// them (`FROM --platform=$BUILDPLATFORM …`). Inside a stage one is visible only after it is declared with
/// `ARG TARGETARCH` (no default needed: the value comes from here). The proxy ARGs need no declaration: a
/// `--build-arg HTTP_PROXY=…` reaches RUN's environment and is left out of the image history.
public enum BuiltinArguments {
    /// Platform ARG names, in BuildKit's order.
    public static let platformNames = ["TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
                                       "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"]

    /// Build args usable without an ARG line, never recorded in history.
    public static let proxyNames = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
                                    "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"]

    /// The platform ARG values for a target and build platform. `TARGETPLATFORM` is `os/arch[/variant]`;
    /// a missing variant is an empty string.
    public static func platformValues(target: Platform, build: Platform) -> [String: String] {
        func format(_ platform: Platform) -> String {
            var text = platform.os + "/" + platform.architecture
            if let variant = platform.variant, !variant.isEmpty { text += "/" + variant }
            return text
        }
        return [
            "TARGETPLATFORM": format(target), "TARGETOS": target.os, "TARGETARCH": target.architecture,
            "TARGETVARIANT": target.variant ?? "",
            "BUILDPLATFORM": format(build), "BUILDOS": build.os, "BUILDARCH": build.architecture,
            "BUILDVARIANT": build.variant ?? "",
        ]
    }

    /// Whether `name` is one of the proxy build args.
    public static func isProxy(_ name: String) -> Bool { proxyNames.contains(name) }
}
