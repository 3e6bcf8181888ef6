"""Load and speed measurements (not part of the test run). See docs/benchmarks.md."""
