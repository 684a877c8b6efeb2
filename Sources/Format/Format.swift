// Placeholder: the Format module is being written.
