"""Simulated forums (Discourse, NodeBB, UserEcho: see ``registry.SANDBOXES``) for tests,
benchmarks and the demo.

They speak the real routes, status codes and JSON (checked against shared/specs), keep state in
memory with the indexes a real forum's database has, model the real rate limits, can inject
faults, and log every call. Each platform is a package cut as its client is (``app``, ``state``,
``seed`` and one module per resource); ``core`` holds what they share.
"""
