"""Synthetic world generator: `generate_world` and `write_world`.

A seeded, vectorized simulation of an AI API provider's accounts: benign users (including
look-alike groups such as households, company teams and data teams, campuses, events, carrier
CGNAT and VPN users) and account farms of ten styles, six of which each evade one signal family
entirely (see `sybil.synth.evasive`), in the input format of the data contract, with ground truth
in `truth`. The implementation lives in `sybil.synth`; worlds above `DEFAULT_CHUNK_ACCOUNTS`
accounts are written in chunks (`sybil.synth.chunks`).
"""

from sybil.synth.chunks import DEFAULT_CHUNK_ACCOUNTS
from sybil.synth.plan import ARCHETYPES
from sybil.synth.pools import ASN_CLASSES
from sybil.synth.world import TABLES, generate_world, write_world

__all__ = [
    "ARCHETYPES",
    "ASN_CLASSES",
    "DEFAULT_CHUNK_ACCOUNTS",
    "TABLES",
    "generate_world",
    "write_world",
]
