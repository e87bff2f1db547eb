"""Differential fidelity harness: verify against Docker on real Debian images (issue 9)."""
