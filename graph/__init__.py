"""Graph library: build igraph graphs from edge arrays, connected components, seeded Leiden.

Plain typed code with no Dagster and no database: arrays in, frozen dataclasses out.
"""

from graph.build import (
    EdgeList,
    build_graph,
    connected_components,
    merge_links,
    prepare_edges,
)
from graph.communities import CommunityResult, detect_communities, seeded_igraph_rng

__all__ = [
    "CommunityResult",
    "EdgeList",
    "build_graph",
    "connected_components",
    "detect_communities",
    "merge_links",
    "prepare_edges",
    "seeded_igraph_rng",
]
