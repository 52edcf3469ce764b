"""Performance benchmarks (make bench). Not part of make test."""
