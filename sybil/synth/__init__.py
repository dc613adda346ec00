"""Synthetic world generator internals; the public entry points live in `sybil.generate`."""
