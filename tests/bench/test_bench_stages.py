"""The bench's stage mapping, memory attribution and communities split (no pipeline run)."""

from __future__ import annotations

import itertools

import pytest

from bench import stages as st
from bench.measure import Measurement
from bench.run import pipeline_figures


@pytest.mark.parametrize(
    ("step", "stage"),
    [
        ("raw__signups", "ingest"),
        ("raw__api_usage", "ingest"),
        ("ref__key_kinds", "ingest"),
        ("staging__signups", "staging"),
        ("staging__quarantine", "staging"),
        ("staging__accounting", "staging"),
        ("features__account_keys", "keys"),
        ("features__key_stats", "keys"),
        ("features__template_sketches", "keys"),
        ("features__account_features", "keys"),
        ("edges__similarity_edges", "edges"),
        ("communities__account_communities", st.GRAPH_AND_COMMUNITIES),
        ("scoring__cluster_features", "scoring"),
        ("scoring__cluster_scores", "scoring"),
        ("published", "publish"),
        ("exports__ban_list_csv", "publish"),
        ("reports__top_clusters", "reports"),
        ("something_new", st.OTHER),
    ],
)
def test_stage_of(step: str, stage: str) -> None:
    assert st.stage_of(step) == stage


def test_every_step_of_the_job_has_a_stage() -> None:
    """A new asset the prefixes do not know would land in `other`: this says so at once."""
    from pipelines.definitions import build_definitions

    job = build_definitions().resolve_job_def("sybil_job")
    steps = [node.name for node in job.graph.nodes]
    assert steps
    assert [s for s in steps if st.stage_of(s) == st.OTHER] == []


SAMPLES = [(10.0, 100), (10.2, 300), (10.4, 200), (10.6, 900), (10.8, 150)]


def test_peak_in_takes_the_highest_sample_inside() -> None:
    assert st.peak_in(SAMPLES, 10.1, 10.5) == 300
    assert st.peak_in(SAMPLES, 10.0, 10.8) == 900


def test_peak_in_a_span_between_samples_takes_its_neighbours() -> None:
    # No sample in (10.45, 10.55): the samples at 10.4 (200) and 10.6 (900) bound it.
    assert st.peak_in(SAMPLES, 10.45, 10.55) == 900
    assert st.peak_in(SAMPLES, 11.0, 12.0) == 150  # after the last sample
    assert st.peak_in(SAMPLES, 1.0, 2.0) == 100  # before the first
    assert st.peak_in([], 1.0, 2.0) is None


def test_stage_figures_sum_time_and_take_the_peak() -> None:
    items = [
        ("ingest", st.Span("raw__signups", 10.0, 10.3)),
        ("ingest", st.Span("raw__sessions", 10.3, 10.5)),
        ("edges", st.Span("edges__similarity_edges", 10.5, 10.9)),
        (st.OTHER, st.Span("mystery", 10.9, 11.0)),
    ]
    figures = st.stage_figures(items, SAMPLES)
    assert [f.stage for f in figures] == ["ingest", "edges", st.OTHER]
    ingest = figures[0]
    assert ingest.seconds == pytest.approx(0.5)
    assert ingest.peak_rss_bytes == 300
    assert ingest.steps == ("raw__signups", "raw__sessions")
    assert figures[1].peak_rss_bytes == 900


def test_split_communities_tiles_the_step() -> None:
    step = st.Span("communities__account_communities", 100.0, 110.0)
    marks = [
        st.Span("prepare_edges", 102.0, 102.5),
        st.Span("graph_from_edges", 102.5, 104.0),
        st.Span("detect_communities", 102.0, 108.0),
        st.Span("prune_weak_members", 108.0, 109.0),
        st.Span("detect_communities", 200.0, 201.0),  # another step's: ignored
    ]
    parts = st.split_communities(step, marks)
    assert parts is not None
    assert parts[0].start == step.start
    assert parts[-1].end == step.end
    assert all(a.end == b.start for a, b in itertools.pairwise(parts))
    build = sum(p.seconds for p in parts if p.name == "graph build")
    rest = sum(p.seconds for p in parts if p.name == "communities")
    assert build == pytest.approx(2.0 + 0.5 + 1.5)  # loading edges, prepare, graph_from_edges
    assert rest == pytest.approx(6.0)


def test_split_communities_without_marks_is_none() -> None:
    step = st.Span("communities__account_communities", 100.0, 110.0)
    assert st.split_communities(step, []) is None
    assert st.split_communities(step, [st.Span("prune_weak_members", 101.0, 102.0)]) is None


def _measurement(wall: float, samples: list[tuple[float, int]]) -> Measurement:
    return Measurement(
        returncode=0, wall_seconds=wall, peak_rss_bytes=1000, started=0.0, samples=samples
    )


def test_pipeline_figures_from_step_spans_and_marks() -> None:
    child = {
        "success": True,
        "run_seconds": 9.0,
        "step_spans": {
            "raw__signups": [1.0, 2.0],
            "staging__signups": [2.0, 3.0],
            "communities__account_communities": [3.0, 7.0],
            "published": [7.0, 8.0],
        },
        "marks": [
            ["prepare_edges", 4.0, 4.5],
            ["graph_from_edges", 4.5, 5.0],
            ["detect_communities", 4.0, 6.0],
            ["prune_weak_members", 6.0, 6.1],
            ["split_at_chance_values", 6.2, 6.3],
            ["_cut_at_chance_values", 6.1, 6.3],
            ["prune_weak_members", 6.3, 6.5],
        ],
    }
    samples = [(t / 2, int(t * 10)) for t in range(0, 20)]
    figures = pipeline_figures(_measurement(10.0, samples), child)
    stages = {s["stage"]: s for s in figures["stages"]}
    assert list(stages) == ["ingest", "staging", "graph build", "communities", "publish"]
    assert stages["graph build"]["seconds"] == pytest.approx(2.0)
    assert stages["communities"]["seconds"] == pytest.approx(2.0)
    assert figures["steps_seconds"] == pytest.approx(7.0)
    assert figures["outside_steps_seconds"] == pytest.approx(3.0)
    assert figures["communities_split"] is True
    detail = figures["communities_detail"]
    assert detail["open_and_load_edges"] == pytest.approx(1.0)
    assert detail["components_leiden_labels"] == pytest.approx(1.0)
    assert detail["prune"] == pytest.approx(0.3)
    assert detail["cut_member_values"] == pytest.approx(0.1)
    assert detail["cut_split"] == pytest.approx(0.1)
    assert detail["write_table"] == pytest.approx(0.5)
    assert sum(detail.values()) == pytest.approx(4.0)


def test_pipeline_figures_without_marks_keep_graph_and_communities_together() -> None:
    child = {
        "success": True,
        "step_spans": {"communities__account_communities": [3.0, 7.0]},
        "marks": [],
    }
    figures = pipeline_figures(_measurement(5.0, [(4.0, 10)]), child)
    assert [s["stage"] for s in figures["stages"]] == [st.GRAPH_AND_COMMUNITIES]
    assert figures["communities_split"] is False


def test_pipeline_figures_of_a_failed_run() -> None:
    child = {"success": False, "failed_step": "edges__similarity_edges", "reason": "boom"}
    failed = Measurement(returncode=1, wall_seconds=2.0, peak_rss_bytes=1, started=0.0)
    figures = pipeline_figures(failed, child)
    assert figures["status"] == "failed"
    assert figures["failed_step"] == "edges__similarity_edges"


def test_slower_steps_flag_big_growth_only_and_the_worst_first() -> None:
    before = [
        {"step": "reports__top_clusters", "seconds": 10.0},
        {"step": "edges__similarity_edges", "seconds": 20.0},
        {"step": "staging__signups", "seconds": 0.5},
        {"step": "published", "seconds": 14.0},
    ]
    after = [
        {"step": "reports__top_clusters", "seconds": 65.0},  # 6.5x: flagged
        {"step": "edges__similarity_edges", "seconds": 29.0},  # 1.45x: noise
        {"step": "staging__signups", "seconds": 1.4},  # 2.8x but 0.9 s more: noise
        {"step": "published", "seconds": 22.0},  # 1.57x and 8 s more: flagged
        {"step": "features__new_step", "seconds": 50.0},  # nothing to compare with
    ]

    found = st.slower_steps(before, after)

    assert [f["step"] for f in found] == ["reports__top_clusters", "published"]
    assert found[0] == {
        "step": "reports__top_clusters",
        "before": 10.0,
        "after": 65.0,
        "ratio": 6.5,
    }
    assert st.slower_steps(after, before) == []


def test_a_run_records_the_steps_slower_than_the_results_it_replaces() -> None:
    from bench.run import compare_steps

    def entry(seconds: float, status: str = "ok") -> dict:
        steps = [{"step": "reports__top_clusters", "seconds": seconds}]
        return {
            "systems": {"pipeline": {"status": status, "steps": steps}},
            "measured": {"commit": "abc"},
        }

    now = entry(65.0)
    compare_steps(now, entry(10.0))
    assert now["systems"]["pipeline"]["slower_than_previous"] == {
        "commit": "abc",
        "steps": [{"step": "reports__top_clusters", "before": 10.0, "after": 65.0, "ratio": 6.5}],
    }
    for before in (None, entry(10.0, status="timeout"), {"systems": {}}):
        fresh = entry(65.0)
        compare_steps(fresh, before)
        assert "slower_than_previous" not in fresh["systems"]["pipeline"]


def test_every_timing_hook_names_a_function_that_exists() -> None:
    """A renamed function would be skipped silently and its time would move to another part."""
    import importlib

    from bench.pipeline import _HOOKS

    for module_name, attr in _HOOKS:
        assert callable(getattr(importlib.import_module(module_name), attr, None)), attr
