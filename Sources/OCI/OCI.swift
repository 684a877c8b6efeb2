// Placeholder: the OCI module is being written.
