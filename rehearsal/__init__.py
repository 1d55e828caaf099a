"""The rehearsal world, beside the runtime: a loopback Discord emulator, a scripted world of members and
channels running the real bot against it, and the demo consultation behind ``make demo``.

``bot`` never imports this package; tests, benchmarks and the demo do.
"""
