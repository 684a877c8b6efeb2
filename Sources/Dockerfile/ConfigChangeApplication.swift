import OCI

extension ConfigChange {
    /// Applies `changes` in order, as dockerd replays `--change` lines: ENV and LABEL merge by key,
    /// EXPOSE and VOLUME add, and an ENTRYPOINT clears a CMD that these changes did not set.
    public static func apply(_ changes: [ConfigChange], to config: inout ContainerConfig) {
        var cmdSet = false
        for change in changes {
            switch change {
            case .cmd(let command):
                config.cmd = command
                cmdSet = true
            case .entrypoint(let command):
                config.entrypoint = command
                if !cmdSet { config.cmd = nil }
            case .env(let pairs):
                var env = config.env ?? []
                for (key, value) in pairs {
                    let entry = "\(key)=\(value)"
                    if let index = env.firstIndex(where: { $0.split(separator: "=", maxSplits: 1).first.map(String.init) == key }) {
                        env[index] = entry
                    } else {
                        env.append(entry)
                    }
                }
                config.env = env
            case .label(let pairs):
                var labels = config.labels ?? [:]
                for (key, value) in pairs { labels[key] = value }
                config.labels = labels
            case .expose(let ports):
                config.exposedPorts = (config.exposedPorts ?? []).union(ports)
            case .volume(let volumes):
                config.volumes = (config.volumes ?? []).union(volumes)
            case .onBuild(let trigger):
                config.onBuild = (config.onBuild ?? []) + [trigger]
            case .user(let user):
                config.user = user
            case .workdir(let directory):
                config.workingDir = directory.hasPrefix("/") || config.workingDir.isEmpty
                    ? directory : config.workingDir + "/" + directory
            case .stopSignal(let signal):
                config.stopSignal = signal
            case .shell(let shell):
                config.shell = shell
            }
        }
    }
}
