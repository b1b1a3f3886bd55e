"""The pure parts of the NAS benchmarks (benchmarks/nas/): arms, splits, curves, summaries.

Two harnesses: ``bench.py``/``report.py`` (random vs evolution, results/nas.md) and
``sweep.py``/``run_one.py``/``report_strategies.py`` (every strategy, results/nas/).
No network is trained here: the reports are checked on synthetic records.
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
    import arms
    import bench
    import loaders
    import paired_stats
    import records
    import report
    import report_strategies
    import run_one
    import sweep

    yield SimpleNamespace(bench=bench, report=report, arms=arms, loaders=loaders,
                          paired_stats=paired_stats, records=records, sweep=sweep,
                          run_one=run_one, report_strategies=report_strategies)
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


# ------------------------------------------------ the strategies harness (sweep.py)
def trial(trial_id, started_at, duration, score, *, network=True, fidelity=1.0,
          status="ok", origin="random", config=None):
    from automl_estimators.spaces.neural import NAME
    from automl_estimators.trial import Status, TrialResult

    config = config or {"model": NAME if network else "knn", "id": trial_id}
    return TrialResult(trial_id=trial_id, config=config, origin=origin, fidelity=fidelity,
                       status=Status(status), score=score, duration=duration,
                       started_at=started_at)


def test_anytime_curve_counts_networks_and_keeps_full_fidelity_best(nas):
    nan = float("nan")
    history = [
        trial(0, 0.0, 0.1, 0.1, network=False, origin="dummy", config={}),
        trial(1, 0.5, 4.0, 0.70),                       # ends at 4.5
        trial(2, 1.0, 1.0, 0.90, fidelity=0.25),        # ends first; low fidelity: no best
        trial(3, 2.0, 5.0, nan, status="timeout"),      # ends at 7.0, trained nothing
        trial(4, 3.0, 2.0, 0.80, network=False),        # a pipeline: a best, no network
        trial(5, 6.0, nan, nan, status="cancelled"),    # never ran
        trial(6, 5.0, 3.0, 0.75),                       # ends at 8.0 below the best
    ]
    assert nas.run_one.anytime_curve(history) == [
        [2.0, 1, None], [4.5, 2, 0.70], [5.0, 2, 0.80], [7.0, 2, 0.80], [8.0, 3, 0.80]]
    # the best network trial: the chosen config when it is a network, else the best one
    assert nas.run_one.best_network_trial(history, history[6].config).trial_id == 6
    assert nas.run_one.best_network_trial(history, history[4].config).trial_id == 6
    assert nas.run_one.best_network_trial(history[:1], {}) is None


def test_recipe_reads_the_configuration_then_the_estimator_defaults(nas):
    config = {"model": "neural_network", "model:neural_network:activation": "gelu",
              "model:neural_network:width": 64}
    defaults = {"optimizer": "adamw", "activation": "relu", "width": 32}
    assert nas.run_one.recipe_of(config, defaults) == {
        "activation": ["gelu", "searched"], "optimizer": ["adamw", "default"]}
    # the package's own estimator: whatever recipe parameters it has, as defaults
    recipe = nas.run_one.recipe_of({"model": "neural_network"})
    assert {source for _, source in recipe.values()} <= {"default"}


def test_failed_network_trials_keep_their_size(nas):
    big = {"model": "neural_network", "model:neural_network:width": 256,
           "model:neural_network:n_cells": 4, "model:neural_network:n_blocks": 5,
           "model:neural_network:activation": "gelu"}
    trials = [trial(1, 0.0, 12.34, float("nan"), status="memout", config=big),
              trial(2, 1.0, 3.0, 0.9), trial(3, 2.0, 70.0, float("nan"), status="timeout")]
    assert nas.run_one.failed_networks(trials) == [
        {"status": "memout", "seconds": 12.3, "width": 256, "n_cells": 4, "n_blocks": 5},
        {"status": "timeout", "seconds": 70.0}]


def test_paired_difference_intervals(nas):
    result = nas.paired_stats.paired_difference([0.01, 0.02, 0.03])
    assert result.n == 3 and result.mean == pytest.approx(0.02)
    # t(0.975, 2) = 4.3027; sd 0.01; half-width 4.3027 * 0.01 / sqrt(3)
    assert result.t_interval == pytest.approx((0.02 - 0.024841, 0.02 + 0.024841), abs=1e-5)
    low, high = result.bootstrap_interval
    assert 0.01 <= low < 0.02 < high <= 0.03
    assert nas.paired_stats.paired_difference([0.01, 0.02, 0.03]) == result  # seeded
    single = nas.paired_stats.paired_difference([0.05])
    assert (single.n, single.t_interval, single.bootstrap_interval) == (1, None, None)
    with pytest.raises(ValueError, match="at least one"):
        nas.paired_stats.paired_difference([])
    with pytest.raises(ValueError, match="finite"):
        nas.paired_stats.paired_difference([0.1, float("nan")])


def test_arms_build_the_asked_search_and_mark_unregistered_strategies(nas, monkeypatch):
    arms = nas.arms
    params = arms.estimator_params("evolution", 30, 1, [8, 8], 2)
    assert params == {"time_budget": 30, "random_state": 1, "n_jobs": 2, "image_shape": (8, 8),
                      "neural": True, "search": "evolution", "include": ["neural_network"]}
    assert arms.estimator_params("neural_false", 30, 1, None, 2)["neural"] is False
    assert arms.estimator_params("neural_auto", 30, 1, None, 2)["neural"] == "auto"
    assert "search" not in arms.estimator_params("neural_auto", 30, 1, None, 2)
    assert arms.unavailable_reason("random") is None
    assert arms.unavailable_reason("hgb") is None
    assert "not registered" in arms.unavailable_reason("no_such_strategy")
    # a variant: the strategy with other settings
    from automl_estimators.search import Controller

    variant = arms.estimator_params("controller_halving", 30, 1, [40], 2)["search"]
    assert variant == Controller(min_fidelity=1 / 3)
    assert arms.unavailable_reason("controller_halving") is None
    monkeypatch.setitem(arms.VARIANTS, "controller_x", ("controller", {"no_such": 1}))
    assert "lack ['no_such']" in arms.unavailable_reason("controller_x")
    assert arms.run_device("hgb", "cuda") == "cpu" and arms.run_device("random", "cuda") == "cuda"
    with pytest.raises(ValueError, match="identifiers"):
        arms.check_arm_names(["random", "one-shot"])
    with pytest.raises(ValueError, match="no arms"):
        arms.check_arm_names([])


def test_an_unregistered_strategy_is_recorded_without_loading_data(nas, monkeypatch):
    monkeypatch.setattr(nas.loaders, "load", lambda *a: pytest.fail("loaded data"))
    row = nas.run_one.run("digits", "no_such_strategy", 0, 10, "cpu")
    assert row["status"] == "unavailable" and "not registered" in row["error"]
    assert (row["dataset"], row["arm"], row["seed"], row["budget"], row["device"]) == \
        ("digits", "no_such_strategy", 0, 10, "cpu")


def test_a_baseline_run_writes_a_complete_row(nas, tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")  # the run hides the GPU; restored after
    out = tmp_path / "row.json"
    assert nas.run_one.main(["--dataset", "digits", "--arm", "logreg", "--seed", "0",
                             "--budget", "5", "--out", str(out)]) == 0
    row = json.loads(out.read_text())
    assert row["status"] == "ok" and row["budget"] == 5 and row["device"] == "cpu"
    assert (row["train_rows"], row["test_rows"], row["features"], row["classes"]) == \
        (1347, 450, 64, 10)
    assert row["image_shape"] == [8, 8] and row["test_accuracy"] > 0.9
    assert "LogisticRegression" in row["final_model"]


def test_loaders_give_each_dataset_its_shape(nas):
    digits = nas.loaders.load("digits", 0)
    assert digits.image_shape == (8, 8) and digits.X_train.shape == (1347, 64)
    pixels = nas.loaders.load("mfeat-pixel", 0)
    assert pixels.image_shape == (16, 15) and pixels.X_train.shape[1] == 16 * 15
    assert nas.loaders.load("letter", 0).image_shape is None
    with pytest.raises(ValueError, match="unknown dataset"):
        nas.loaders.load("mnist", 0)


def test_mnist1d_is_generated_with_its_own_split(nas):
    pytest.importorskip("mnist1d")
    signals = nas.loaders.load("mnist1d", 3)
    assert signals.image_shape == (40,)
    assert signals.X_train.shape == (4000, 40) and signals.X_test.shape == (1000, 40)
    assert signals.facts()["classes"] == 10


def row(arm, dataset, seed, test, curve, device="cpu", **extra):
    return {"dataset": dataset, "arm": arm, "seed": seed, "budget": 10, "device": device,
            "status": "ok", "machine": "box", "commit": "abc1234", "test_accuracy": test,
            "best_validation": max([p[2] for p in curve if p[2] is not None], default=None),
            "curve": curve, "n_networks": max([p[1] for p in curve], default=0),
            "n_trials": len(curve), "fit_seconds": 10.1, "final_model": f"{arm} model",
            **extra}


def test_resumable_plan_skips_done_runs_and_retries_unavailable_ones(nas, tmp_path):
    records = nas.records
    records.append_row(tmp_path, "cpu", row("random", "digits", 0, 0.9, [[1.0, 1, 0.8]]))
    records.append_row(tmp_path, "gpu-a", {**row("hgb", "digits", 0, 0.97, []), "curve": None})
    records.append_row(tmp_path, "cpu", {"dataset": "digits", "arm": "controller", "seed": 0,
                                         "budget": 10, "device": "cpu",
                                         "status": "unavailable"})
    todo = nas.sweep.planned_runs(["digits"], ["random", "controller", "hgb"], [0, 1], 10, "cpu",
                                records.done_keys(tmp_path))
    assert todo == [("digits", "controller", 0, 10, "cpu"), ("digits", "random", 1, 10, "cpu"),
                    ("digits", "controller", 1, 10, "cpu"), ("digits", "hgb", 1, 10, "cpu")]
    # on a GPU the networks run again; the baseline's cpu row still counts
    cuda = nas.sweep.planned_runs(["digits"], ["random", "hgb"], [0], 10, "cuda",
                                records.done_keys(tmp_path))
    assert cuda == [("digits", "random", 0, 10, "cuda")]
    records.append_row(tmp_path, "cpu", {**row("logreg", "digits", 0, None, []),
                                         "status": "error", "error": "ValueError: x"})
    assert ("digits", "logreg", 0, 10, "cpu") in records.done_keys(tmp_path)
    assert records.done_keys(tmp_path, retry_failed=True) == {
        ("digits", "random", 0, 10, "cpu"), ("digits", "hgb", 0, 10, "cpu")}
    # a later line replaces an earlier one with the same key
    records.append_row(tmp_path, "cpu", row("random", "digits", 0, 0.95, [[1.0, 1, 0.8]]))
    latest = [r for r in records.read_rows(tmp_path) if r["arm"] == "random"]
    assert [r["test_accuracy"] for r in latest] == [0.95]
    (tmp_path / "broken.jsonl").write_text('{"dataset": "dig')
    with pytest.raises(ValueError, match="broken.jsonl:1 is not a JSON line"):
        records.read_rows(tmp_path)
    with pytest.raises(ValueError, match="plain file name"):
        records.chunk_path(tmp_path, "../x")


def strategy_rows():
    """Two datasets x two seeds of every kind of arm, and one GPU pair."""
    rows = []
    for dataset, shift in (("digits", 0.0), ("mnist1d", -0.2)):
        for seed in (0, 1):
            b = shift + 0.01 * seed
            rows += [
                row("random", dataset, seed, 0.90 + b,
                    [[1.0, 1, 0.70 + b], [3.0, 4, 0.85 + b], [9.0, 8, 0.88 + b]],
                    network_seconds_mean=1.0, recipe={"activation": ["relu", "default"]}),
                row("controller", dataset, seed, 0.91 + b,
                    [[2.0, 2, 0.80 + b], [6.0, 6, 0.87 + b]],
                    search_report={"mean_reward_per_round": [0.5, 0.6, 0.7 + b]},
                    recipe={"activation": ["gelu", "searched"],
                            "optimizer": ["adamw", "searched"]}),
                row("progressive", dataset, seed, 0.93 + b,
                    [[1.5, 1, 0.82 + b], [2.5, 2, 0.87 + b], [4.0, 3, 0.90 + b]]),
                row("one_shot", dataset, seed, 0.92 + b, [[8.0, 1, 0.86 + b]],
                    search_report={"supernet_seconds": 6.0, "epochs": 5},
                    network_seconds_mean=2.0),
                row("neural_false", dataset, seed, 0.95 + b, [[0.5, 0, 0.9 + b]]),
                {**row("hgb", dataset, seed, 0.96 + b, []), "curve": None},
            ]
    rows.append(row("random", "digits", 0, 0.91,
                    [[0.5, 2, 0.70], [1.5, 8, 0.85], [3.0, 32, 0.89]], device="cuda",
                    gpu="H200"))
    rows.append({"dataset": "digits", "arm": "smac", "seed": 0, "budget": 10,
                 "device": "cpu", "status": "timeout", "error": "killed at 150 s"})
    return rows


def test_strategies_report_on_synthetic_rows(nas, tmp_path):
    for i, r in enumerate(strategy_rows()):
        nas.records.append_row(tmp_path, "cpu" if i % 2 else "more", r)
    doc = nas.report_strategies.write_report(tmp_path, "run.py --smoke").read_text()
    assert "`run.py --smoke`" in doc
    assert "## Budget 10 s, networks on cpu" in doc and "## Budget 10 s, networks on cuda" in doc
    # test accuracy, mean ± sd over the two seeds, arms in the benchmark's order
    assert ("| dataset | seeds | random | smac | controller | progressive | one_shot | neural_false "
            "| hgb |") in doc
    assert "| digits | 2 | 0.9050 ± 0.0071 | — | 0.9150 ± 0.0071 | 0.9350 ± 0.0071 |" in doc
    # progressive vs random: +0.03 on each of 4 pairs; sd 0 so the t interval is a point
    assert ("| progressive | test accuracy | **all** | 4 | +0.0300 | [+0.0300, +0.0300] | "
            "[+0.0300, +0.0300] | 4/0/0 |") in doc
    assert "| controller | best validation | digits | 2 | -0.0100 |" in doc
    # controller best 0.87 (seed 0): random reaches 0.88 at its 8th network, progressive
    # 0.87 at its 2nd, one-shot never (0.86, 1 network); the controller at its 6th
    assert "| digits | 0 | 0.8700 | 6 | 8 | — | 2 | not reached (1) |" in doc
    assert "progressive: 3.00x (4 runs)" in doc and "random: 0.75x (4 runs)" in doc
    assert "| digits | 0 | `mean_reward_per_round` | 3 | 0.5000 | 0.7000 | +0.2000 |" in doc
    # one-shot: 6 s of supernet search = 6 random networks of 1 s
    assert "| digits | 0 | `supernet_seconds` 6.0 | 1 | 2.0 | 1.0 | 6.0 |" in doc
    assert "| activation | `gelu` | 4 | 0 | controller |" in doc
    assert "| activation | `relu` | 0 | 4 | random |" in doc
    # the GPU pair: 4x the networks; the cpu best 0.88 reached at 9.0 s vs 3.0 s
    assert "| digits | random | 0 | 10 | H200 | 8 | 32 | 4.00 | 9.0 | 3.0 | 3.00 |" in doc
    assert "- digits smac seed=0 B=10 cpu: timeout: killed at 150 s" in doc
    for name in ("anytime_digits_10_cpu.png", "anytime_mnist1d_10_cpu.png",
                 "anytime_digits_10_cuda.png"):
        assert (tmp_path / name).stat().st_size > 0
        assert f"]({name})" in doc


def test_strategies_report_says_when_no_gpu_was_lent(nas, tmp_path):
    nas.records.append_row(tmp_path, "cpu", row("random", "digits", 0, 0.9, [[1.0, 1, 0.8]]))
    doc = nas.report_strategies.write_report(tmp_path, "run.py").read_text()
    assert "not measured: no GPU lent" in doc
    assert "No `controller` runs." in doc and "No `one_shot` runs." in doc
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "No runs recorded yet." in nas.report_strategies.write_report(empty, "x").read_text()


def test_search_costs_read_numbers_and_lists_of_them(nas):
    report = {"search_seconds": [10.0, 14.0], "method": "darts", "cost": 3,
              "retrained_scores": [0.9], "seconds_flag": True, "mixed_seconds": [1.0, "x"]}
    assert nas.report_strategies.search_costs(report) == {"search_seconds": 12.0, "cost": 3.0}
    assert nas.report_strategies.search_costs(None) == {}
