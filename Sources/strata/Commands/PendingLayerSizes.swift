import Foundation
import OCI
import Store

extension ImageStore {
    /// Sizes are docker's only once pulled layers are decoded, so the commands that show sizes measure pending
    /// layers first. A layer that does not match its image is reported on stderr and left pending; the listing
    /// still works.
    func measurePendingLayersForDisplay(ofImages ids: [Digest]?) {
        let errors: [Error]
        do {
            errors = try verifyPendingLayers(ofImages: ids)
        } catch {
            errors = [error]
        }
        for error in errors { Output.error("WARNING: \(error)\n") }
    }
}
