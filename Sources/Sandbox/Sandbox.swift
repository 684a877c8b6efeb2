/// Runs processes in a container root filesystem (namespaces, overlay snapshots); shared by build RUN and `strata run`.
public enum SandboxModule {}
