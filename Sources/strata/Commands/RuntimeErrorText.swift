import Foundation
import OCI
import Store

/// Where a library error becomes docker's words, in one place: the one-line text, the "Error response from
/// daemon: " framing docker's CLI prints for a failed API call, dockerd's spelling of a missing image, and the exit
/// status for each kind of failure. Libraries only say what kind of failure it was (`ErrorKind`).
enum RuntimeErrorText {
    static func describe(_ error: Error) -> String {
        String(describing: error).replacingOccurrences(of: "\n", with: " ")
    }

    /// A failed daemon call as docker's CLI reports it; with `name`, a missing image is named as dockerd names it
    /// (`nope:latest`).
    static func daemon(_ error: any Error, name: String? = nil) -> CLIError {
        if let name, case StoreError.noSuchImage = error {
            return CLIError(message: "Error response from daemon: No such image: \(ImageStore.daemonSpelling(name))",
                            code: exitStatus(.notFound))
        }
        return CLIError(message: "Error response from daemon: \(describe(error))", code: exitStatus(ErrorKind.of(error)))
    }

    /// docker's CLI exits 1 for every failed image command, whatever the daemon's reason; `run` has its own
    /// statuses (125 before the container starts, 126/127 when its command cannot run).
    static func exitStatus(_ kind: ErrorKind) -> Int32 {
        switch kind {
        case .notFound, .conflict, .invalidArgument, .unauthorized, .denied, .unavailable, .internal: 1
        }
    }
}
