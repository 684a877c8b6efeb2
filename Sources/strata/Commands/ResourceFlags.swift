import Sandbox

/// `-m/--memory`, `--shm-size` and `--ulimit` of `run` and `build`, parsed as docker's client parses them and refused
/// in its words (pflag's `invalid argument "…" for "…" flag: …`, exit 125).
enum ResourceFlags {
    static func parse(memory: String?, shmSize: String?, ulimits: [String], command: String) throws -> ResourceLimits {
        func refuse(_ value: String, _ flag: String, _ error: FlagValueError) -> CLIError {
            CLIError(message: "invalid argument \"\(value)\" for \"\(flag)\" flag: \(error)\nSee 'strata \(command) --help'.", code: 125)
        }
        var limits = ResourceLimits()
        if let memory {
            do { limits.memory = try RAMSize.parse(memory) } catch { throw refuse(memory, "-m, --memory", error) }
        }
        if let shmSize {
            do { limits.shmSize = try RAMSize.parse(shmSize) } catch { throw refuse(shmSize, "--shm-size", error) }
        }
        for value in ulimits {
            do { limits.add(try Ulimit.parse(value)) } catch { throw refuse(value, "--ulimit", error) }
        }
        return limits
    }
}
