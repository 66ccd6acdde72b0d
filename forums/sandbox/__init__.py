"""Simulated Discourse and NodeBB servers for tests, benchmarks and the demo.

They speak the real routes, status codes and JSON (checked against shared/specs), keep state in
memory, model the real rate limits, can inject faults, and log every call.
"""
