// Layer efficiency (dive's algorithm), per-layer file changes and image diff, read from layer tars as
// streams. Filled in by the Analyze work of issue #14.
