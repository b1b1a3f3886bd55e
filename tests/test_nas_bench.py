"""The pure parts of the NAS benchmark (benchmarks/nas/): arms, digits split, curves, summary.

No fit runs here: the summary is checked on synthetic records.
"""
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

NAS = Path(__file__).resolve().parents[1] / "benchmarks" / "nas"


@pytest.fixture(scope="module")
def nas():
    """The benchmark's modules (imported by bare name, as its scripts import each other)."""
    before = list(sys.path)
    sys.path.insert(0, str(NAS))
    import bench
    import report

    yield SimpleNamespace(bench=bench, report=report)
    sys.path[:] = before


def test_neural_arms_search_networks_only_and_the_baseline_none(nas):
    random, evolution, baseline = (nas.bench.arm_params(a, (8, 8))
                                   for a in ("random", "evolution", "baseline"))
    assert random["search"] == "random" and evolution["search"] == "evolution"
    for params in (random, evolution):
        assert params["neural"] is True and params["include"] == ["neural_network"]
    assert baseline["neural"] is False and "search" not in baseline and "include" not in baseline
    assert {p["n_jobs"] for p in (random, evolution, baseline)} == {2}
    assert {p["image_shape"] for p in (random, evolution, baseline)} == {(8, 8)}
    # the baseline trains no network: one record whatever the device
    assert nas.bench.stem("baseline", "digits", 120, 0, "cuda").endswith("__cpu")
    assert nas.bench.stem("evolution", "digits", 120, 0, "cuda").endswith("__cuda")


def test_digits_split_is_fixed_by_the_seed_and_stratified(nas):
    X_tr, X_te, y_tr, y_te, facts = nas.bench.load_data("digits", 0)
    again = nas.bench.load_data("digits", 0)[1]
    other = nas.bench.load_data("digits", 1)[1]
    assert facts == {"task": "multiclass", "rows": 1797, "features": 64}
    assert len(X_te) == pytest.approx(0.25 * 1797, abs=1) and X_tr.shape[1] == 64
    assert list(X_te.index) == list(again.index) != list(other.index)
    per_class = (y_te.value_counts() - 0.25 * (y_tr.value_counts() + y_te.value_counts()))
    assert per_class.abs().max() < 1  # stratified: a quarter of each class, rounded


def test_checkpoints_and_outcomes(nas):
    curve = [(3.0, 0.5), (7.5, 0.8), (20.0, 0.9)]
    assert nas.report.best_at(curve, 2.0) != nas.report.best_at(curve, 2.0)  # nan: none yet
    assert nas.report.best_at(curve, 7.5) == 0.8
    assert nas.report.best_at(curve, 100) == 0.9
    nan = float("nan")
    assert [nas.report.outcome(*p) for p in ((0.9, 0.8), (0.8, 0.8 + 1e-5), (0.7, 0.8),
                                             (nan, 0.1), (0.1, nan), (nan, nan))] == \
        [1, 0, -1, -1, 1, 0]


def record(arm, dataset, seed, score, curve, device="cpu", **extra):
    neural = arm != "baseline"
    return {"experiment": "nas", "arm": arm, "dataset": dataset, "budget": 10, "seed": seed,
            "device": device, "machine": "box", "gpu": "H100" if device == "cuda" else None,
            "image_shape": [8, 8] if dataset == "digits" else None, "status": "ok",
            "task": "multiclass", "rows": 100, "features": 4, "resampling": "cv", "n_folds": 5,
            "search_rows": 75, "total_rows": 75, "test_score": score,
            "test_score_single": score, "best_val": max(s for _, s in curve), "curve": curve,
            "n_trials": 6, "n_networks": 5 if neural else 0, "n_full": 4, "n_low": 2,
            "n_failed": 1, "failures": {"timeout": 1}, "epochs": 300 if neural else 0,
            "fit_time": 10.2, "wall_s": 10.5, "ensemble_members": 0,
            "best_pipeline": "neural_network" if neural else "random_forest",
            "best_architecture": "Architecture(kind='tabular')" if neural else None,
            "best_macro": "2 cells x 3 blocks" if neural else None,
            "final_epochs": 20 if neural else None, **extra}


def test_summary_on_synthetic_records(nas, tmp_path):
    raw = tmp_path / "raw" / "nas"
    raw.mkdir(parents=True)
    records = [
        # iris seed 0: evolution behind at 50 %, ahead at the end
        record("random", "iris", 0, 0.90, [(1.0, 0.80), (4.0, 0.85)]),
        record("evolution", "iris", 0, 0.95, [(1.0, 0.80), (6.0, 0.90)]),
        # iris seed 1: evolution ahead throughout; digits seed 0: a tie at the end
        record("random", "iris", 1, 0.90, [(2.0, 0.70)]),
        record("evolution", "iris", 1, 0.85, [(2.0, 0.75)]),
        record("random", "digits", 0, 0.97, [(1.0, 0.96)]),
        record("evolution", "digits", 0, 0.97, [(9.0, 0.96)]),
        record("baseline", "iris", 0, 0.93, [(0.5, 0.88)]),
        record("baseline", "digits", 0, 0.98, [(0.5, 0.97)]),
        # the same iris seed 0 evolution run on a GPU of the same machine
        record("evolution", "iris", 0, 0.96, [(0.5, 0.80), (2.0, 0.91)], device="cuda",
               epochs=900),
    ]
    for i, rec in enumerate(records):
        (raw / f"{i}.json").write_text(json.dumps(rec))
    (raw / "x.json").write_text(json.dumps({
        "arm": "random", "dataset": "digits", "budget": 10, "seed": 1, "device": "cpu",
        "status": "timeout", "error": "rc=-9 after 90s"}))
    doc = nas.report.summarize(raw, tmp_path, "bench.py --smoke").read_text()
    assert "`bench.py --smoke`" in doc
    assert "| validation at 50% of the budget (5 s) | 3 | 1 | 0 | 2 |" in doc
    assert "| validation at 75% of the budget (7.5 s) | 3 | 2 | 0 | 1 |" in doc
    assert "| validation at the end (10 s) | 3 | 2 | 1 | 0 |" in doc
    assert "| test accuracy, best network | 3 | 1 | 1 | 1 |" in doc
    assert "| iris | 2 | 0.9000 ± 0.0000 | 0.9000 ± 0.0707 | 0.9300 | +0.0000 |" in doc
    assert "| digits | 100 | 75 | 75 | 4 | 8×8 | 5-fold CV |" in doc
    assert "Failed trials by status, all runs: timeout 8." in doc
    assert "- digits random B=10 seed=1 device=cpu: timeout rc=-9 after 90s" in doc
    # GPU table: the one cpu/cuda pair of the same machine, reached at 2.0 s
    assert "| iris | evolution | 10 | H100 | 1 | 5.0 | 5.0 | 300 | 900 | 3.00× |" in doc
    assert doc.rstrip().endswith("after 90s")
    assert "1/1 | 2.0 |" in doc
    for png in ("nas_anytime_iris_10.png", "nas_anytime_digits_10.png",
                "nas_anytime_iris_10_cuda.png"):
        assert (tmp_path / png).stat().st_size > 0
    assert (tmp_path / "nas.csv").read_text().count("\n") == len(records) + 2


def test_summary_says_how_to_fill_the_gpu_table(nas, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.json").write_text(json.dumps(record("random", "iris", 0, 0.9, [(1.0, 0.8)])))
    doc = nas.report.summarize(raw, tmp_path, "bench.py").read_text()
    assert "No runs recorded with `--device cuda` yet" in doc
