// Placeholder: the Archive module is being written.
