import Foundation

/// What a build reports while it runs, shaped like BuildKit's solve status: numbered vertices (`#5`) with a
/// name (`[2/4] RUN make`), log lines, status lines, and an end (done, cached or failed). The renderers of
/// `BuildProgressViews` turn the stream into `--progress=plain|tty|quiet` output; the executor never formats
/// anything itself.
public enum BuildEvent: Sendable, Equatable {
    /// A vertex begins. `id` numbers vertices in the order they start (BuildKit's `#N`); `digest` is a stable
    /// identity (the step's cache key, or a hash of the name for internal steps), printed as `#N sha256:…`.
    case started(id: Int, name: String, digest: String)
    /// Output of a RUN step (`#N 0.139 out`): `elapsed` since the vertex started, `stream` 1 = stdout, 2 = stderr.
    case log(id: Int, elapsed: Duration, stream: Int, text: String)
    /// A progress line of an internal step (`#N transferring context: 122B done`, `#N writing image sha256:… done`).
    case status(id: Int, text: String)
    /// The vertex's result was found in the cache (`#N CACHED`).
    case cached(id: Int)
    /// The vertex finished (`#N DONE 0.3s`).
    case done(id: Int, duration: Duration)
    /// The vertex failed (`#N ERROR: message`); the build then ends with this error.
    case failed(id: Int, duration: Duration, message: String)
}

/// Receives build events; called from several tasks at once when stages build in parallel.
public typealias BuildEventSink = @Sendable (BuildEvent) -> Void
