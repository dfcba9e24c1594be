"""Benchmarks behind ``iotlab bench``: each prints a ratio against a baseline run in the same process."""
