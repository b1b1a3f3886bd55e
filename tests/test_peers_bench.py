"""The pure parts of the peers benchmark (benchmarks/peers/): split, scores, resume, summary.

No peer is installed: the child process of a run is this interpreter, fitting the
HistGradientBoosting baseline.
"""
import csv
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

PEERS = Path(__file__).resolve().parents[1] / "benchmarks" / "peers"


@pytest.fixture(scope="module")
def peers():
    """The benchmark's modules (imported by bare name, as its scripts import each other)."""
    before = list(sys.path)
    sys.path.insert(0, str(PEERS))
    import compare
    import protocol
    import run
    import summarize

    yield SimpleNamespace(protocol=protocol, run=run, summarize=summarize, compare=compare)
    sys.path[:] = before


@pytest.fixture(scope="module")
def iris(peers):
    from common import DATA_DIR, load_manifest

    if not (DATA_DIR / "manifest.json").exists():
        pytest.skip(f"no shared datasets in {DATA_DIR}")
    return next(d for d in load_manifest() if d["name"] == "iris")


# ------------------------------------------------------------------ split
def test_split_is_fixed_by_the_seed_and_stratified(peers, iris):
    first = peers.protocol.split_indices(iris, seed=0)
    assert first == peers.protocol.split_indices(iris, seed=0)
    assert first != peers.protocol.split_indices(iris, seed=1)
    train, test = set(first["train"]), set(first["test"])
    assert not train & test
    assert train | test == set(range(iris["n_rows"]))
    assert len(test) == pytest.approx(0.25 * iris["n_rows"], abs=1)
    from common import DATA_DIR

    _, _, y_train, y_test = peers.protocol.read_split(DATA_DIR / iris["file"], first)
    assert y_test.value_counts().min() >= 12  # 50 per class: stratified, 12 or 13 each
    assert y_train.dtype == object  # text as object, whatever the pandas version


# ------------------------------------------------------------------ scores
def test_classification_scores_align_labels_and_probability_columns(peers):
    y_true = [1, 2, 3, 1, 2, 3]
    proba = [[0.8, 0.2], [0.1, 0.9], [0.5, 0.5], [0.7, 0.3], [0.4, 0.6], [0.5, 0.5]]
    out = peers.protocol.score_predictions(
        "multiclass", y_true,
        # floats for int labels, and columns in another order, one class never predicted
        {"predict": [1.0, 2.0, 2.0, 1.0, 2.0, 1.0], "proba": proba, "classes": ["1", 2.0]},
        labels=[1, 2, 3])
    assert out["accuracy"] == pytest.approx(4 / 6)
    assert out["balanced_accuracy"] == pytest.approx((1 + 1 + 0) / 3)
    assert out["log_loss"] > 5  # class 3 got probability 0 (clipped)
    assert out["roc_auc"] is not None


def test_binary_scores_and_missing_probabilities(peers):
    y_true = np.array(["no", "yes", "yes", "no"])
    preds = {"predict": ["no", "yes", "no", "no"],
             "proba": [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]], "classes": ["no", "yes"]}
    out = peers.protocol.score_predictions("binary", y_true, preds)
    assert out["accuracy"] == 0.75
    assert out["roc_auc"] == 1.0
    assert out["log_loss"] == pytest.approx(np.mean(-np.log([0.9, 0.8, 0.4, 0.7])))
    plain = peers.protocol.score_predictions("binary", y_true, {"predict": preds["predict"]})
    assert plain["log_loss"] is None and plain["roc_auc"] is None


def test_regression_scores(peers):
    out = peers.protocol.score_predictions("regression", [1.0, 2.0, 3.0],
                                           {"predict": [1.0, 2.0, 4.0]})
    assert out == {"r2": pytest.approx(0.5), "rmse": pytest.approx(np.sqrt(1 / 3))}


# ------------------------------------------------------------------ resume
def test_plan_varies_systems_fastest_and_pending_skips_finished_runs(peers, tmp_path):
    runs = peers.protocol.plan_runs(["a", "b"], ["iris", "car"], [10], [0, 1])
    assert [r.system for r in runs[:2]] == ["a", "b"]
    assert [(r.dataset, r.seed) for r in runs[::2]] == [("iris", 0), ("car", 0), ("iris", 1),
                                                        ("car", 1)]
    assert runs[0].hard_limit == 3 * 10 + 120
    peers.protocol.write_json(tmp_path / f"{runs[0].stem}.json", {"status": "ok"})
    peers.protocol.write_json(tmp_path / f"{runs[3].stem}.json", {"status": "timeout"})
    (tmp_path / f"{runs[1].stem}.log").write_text("started, never finished")
    assert peers.protocol.pending(runs, tmp_path) == [r for i, r in enumerate(runs)
                                                       if i not in (0, 3)]
    assert not list(tmp_path.glob("*.tmp"))
    # a fresh work tree has no raw records, only the committed ledger
    ledger = tmp_path / "runs.csv"
    ledger.write_text(f"system,dataset,budget,seed,status\n{runs[5].system},"
                      f"{runs[5].dataset},{runs[5].budget},{runs[5].seed},ok\n")
    assert runs[5] not in peers.protocol.pending(runs, tmp_path, ledger)
    assert runs[5] in peers.protocol.pending(runs, tmp_path)


def test_a_killed_or_silent_run_is_a_failure(peers):
    run = peers.protocol.Run("hgb", "iris", 10, 0)
    entry = {"task": "multiclass"}
    split = {"train": [0, 1, 2], "test": [3]}
    base = {"rc": -9, "elapsed_s": 150.0, "peak_mb": 10.0, "max_procs": 1,
            "leftovers_killed": False}
    killed = peers.run.make_record(run, entry, split, {**base, "timed_out": True}, None)
    assert killed["status"] == "timeout" and "150 s" in killed["error"]
    silent = peers.run.make_record(run, entry, split, {**base, "timed_out": False}, None)
    assert silent["status"] == "crash" and "rc=-9" in silent["error"]


def test_hard_limit_kills_the_whole_process_tree(peers, tmp_path):
    # the child starts a grandchild and both would sleep for a minute
    code = ("import subprocess, sys, time; "
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
            "time.sleep(60)")
    start = time.perf_counter()
    out = peers.run.spawn([sys.executable, "-c", code], SimpleNamespace(hard_limit=2),
                          tmp_path, tmp_path / "log")
    assert out["timed_out"] and time.perf_counter() - start < 20
    assert out["peak_mb"] > 0


def test_one_run_end_to_end_with_the_baseline(peers, iris, tmp_path, monkeypatch):
    monkeypatch.setattr(peers.run, "env_of",
                        lambda system: SimpleNamespace(python=Path(sys.executable)))
    monkeypatch.setattr(peers.run, "WORK_ROOT", tmp_path / "work")
    (tmp_path / "work").mkdir()
    record = peers.run.execute(peers.protocol.Run("hgb", "iris", 10, 0), tmp_path)
    assert record["status"] == "ok", record.get("traceback")
    assert record["accuracy"] > 0.8 and record["log_loss"] is not None
    assert record["n_test"] == 38 and record["peak_mb"] > 0 and record["fit_s"] > 0
    assert json.loads((tmp_path / "hgb__iris__10__0.json").read_text())["status"] == "ok"
    assert not list((tmp_path / "work").iterdir())  # the run's scratch folder is gone


# ------------------------------------------------------------------ summary
def synthetic_records(raw, peers):
    """Two datasets x two seeds; 'automl-estimators' vs 'flaml' vs 'hgb' (one incomplete)."""
    scores = {  # (dataset, seed) -> {system: score or None (failed)}
        ("iris", 0): {"automl-estimators": 0.95, "flaml": 0.90, "hgb": 0.95},
        ("iris", 1): {"automl-estimators": 0.90, "flaml": None, "hgb": 0.93},
        ("auto_mpg", 0): {"automl-estimators": 0.80, "flaml": 0.85, "hgb": 0.70},
        ("auto_mpg", 1): {"automl-estimators": None, "flaml": 0.85},  # hgb not run yet
    }
    for (dataset, seed), by_system in scores.items():
        task = "multiclass" if dataset == "iris" else "regression"
        metric = "accuracy" if task == "multiclass" else "r2"
        for system, score in by_system.items():
            record = {"system": system, "dataset": dataset, "task": task, "budget": 10,
                      "seed": seed, "status": "ok" if score is not None else "error",
                      "fit_s": 11.0, "elapsed_s": 13.0, "peak_mb": 200.0,
                      "overrun_ratio": 1.1, "versions": {system: "1.0"}}
            if score is not None:
                record[metric] = score
            else:
                record["error"] = "ValueError: boom"
            stem = peers.protocol.Run(system, dataset, 10, seed).stem
            peers.protocol.write_json(raw / f"{stem}.json", record)
    (raw / "hgb__iris__10__0.child.json").write_text("{}")  # not a record


def test_ranks_wins_and_summary_on_synthetic_records(peers, tmp_path, monkeypatch):
    synthetic_records(tmp_path, peers)
    summarize = peers.summarize
    frame = summarize.load_records(tmp_path)
    assert len(frame) == 11
    ranked = summarize.rank_runs(frame)
    assert len(ranked) == 9  # the incomplete (auto_mpg, 1) cell is left out
    rank = ranked.set_index(["dataset", "seed", "system"])["rank"]
    assert rank[("iris", 0, "automl-estimators")] == rank[("iris", 0, "hgb")] == 1.5
    assert rank[("iris", 1, "flaml")] == 3  # failed: last
    means = summarize.mean_ranks(ranked)
    assert list(means.index.get_level_values("task")) == ["multiclass", "regression", "all"]
    assert means.loc[(10, "all"), "automl-estimators"] == pytest.approx((1.5 + 2 + 2) / 3)
    wtl = summarize.wins_ties_losses(frame).set_index("system")
    # vs flaml: iris0 win, iris1 win (flaml failed), mpg0 loss, mpg1 loss (ours failed)
    assert wtl.loc["flaml", ["cells", "wins", "ties", "losses"]].tolist() == [4, 2, 0, 2]
    assert wtl.loc["hgb", ["cells", "wins", "ties", "losses"]].tolist() == [3, 1, 1, 1]
    monkeypatch.setattr(summarize, "DOC", tmp_path / "docs" / "benchmarks.md")
    monkeypatch.setattr(summarize, "PLOTS", tmp_path / "docs" / "benchmarks")
    (tmp_path / "docs").mkdir()
    ledger = tmp_path / "runs.csv"
    doc = summarize.summarize(tmp_path, "run.py --short", label="Smoke run",
                              ledger=ledger).read_text()
    assert "> **Smoke run**" in doc and "`run.py --short`" in doc
    assert "| 10 | flaml | 4 | 2 | 0 | 2 |" in doc
    assert "- flaml on iris (budget 10 s, seed 1): error: `ValueError: boom`" in doc
    assert (tmp_path / "docs" / "benchmarks" / "peers_rank_distribution.png").exists()
    # the gaps: datasets where another system's mean beats ours, largest margin first
    mpg, iris = summarize.gaps(frame, 10)
    # auto_mpg: only seed 0 has every system (hgb did not run seed 1)
    assert (mpg["dataset"], mpg["seeds"], mpg["best"]) == ("auto_mpg", 1, "flaml")
    assert (mpg["margin"], mpg["hgb_margin"]) == pytest.approx((0.05, -0.10))
    assert (iris["dataset"], iris["best"], iris["seeds"]) == ("iris", "hgb", 2)
    assert iris["margin"] == pytest.approx(0.94 - 0.925)
    assert "### Where another system scores higher than automl-estimators at 10 s" in doc
    # a hand-written analysis at the end survives the next summary
    summarize.DOC.write_text(doc + "\n## Gap analysis\n\nWhy flaml wins on auto_mpg.\n")
    again_doc = summarize.summarize(tmp_path, "run.py", ledger=ledger).read_text()
    assert again_doc.endswith("## Gap analysis\n\nWhy flaml wins on auto_mpg.\n")
    assert again_doc.count("## Gap analysis") == 1 and "Smoke run" not in again_doc
    # the ledger alone (a later session's fresh work tree) gives back the same records
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    again = summarize.load_records(fresh, ledger)
    key = ["system", "dataset", "seed"]
    assert again.sort_values(key)["score"].tolist() == pytest.approx(
        frame.sort_values(key)["score"].tolist(), nan_ok=True)
    assert again.loc[again["system"] == "flaml", "versions"].iloc[0] == {"flaml": "1.0"}


def test_a_league_has_its_own_records_page_and_a_budget_axis(peers, tmp_path, monkeypatch):
    """A league's runs never enter the main ledger's ranks; its budget-axis means add
    the main runs of its datasets, each (system, budget) only over every league cell."""
    summarize, protocol = peers.summarize, peers.protocol
    league = protocol.League("tiny", budgets=(300,), datasets=("iris", "auto_mpg"),
                             systems=("automl-estimators", "flaml", "hgb"), why="For a test.")
    main_raw, league_raw = tmp_path / "raw", tmp_path / "raw_tiny"
    main_raw.mkdir()
    league_raw.mkdir()
    monkeypatch.setattr(protocol.League, "raw", property(lambda self: league_raw))
    monkeypatch.setattr(protocol.League, "ledger", property(lambda self: tmp_path / "tiny.csv"))
    monkeypatch.setattr(summarize, "RAW", main_raw)
    monkeypatch.setattr(summarize, "LEDGER", tmp_path / "runs.csv")
    monkeypatch.setattr(summarize, "DOC", tmp_path / "docs" / "benchmarks.md")
    monkeypatch.setattr(summarize, "PLOTS", tmp_path / "docs" / "benchmarks")
    synthetic_records(main_raw, peers)  # budget 10: the main sweep's runs
    league_scores = {("iris", 0): {"automl-estimators": 0.97, "flaml": 0.96, "hgb": 0.95},
                     ("auto_mpg", 0): {"automl-estimators": 0.88, "flaml": 0.86, "hgb": 0.70}}
    for (dataset, seed), by_system in league_scores.items():
        task, metric = (("multiclass", "accuracy") if dataset == "iris"
                        else ("regression", "r2"))
        for system, score in by_system.items():
            protocol.write_json(league_raw / f"{protocol.Run(system, dataset, 300, seed).stem}"
                                             ".json",
                                {"system": system, "dataset": dataset, "task": task,
                                 "budget": 300, "seed": seed, "status": "ok", metric: score,
                                 "fit_s": 290.0, "elapsed_s": 295.0, "peak_mb": 300.0,
                                 "overrun_ratio": 0.97, "versions": {system: "1.0"}})
    doc = summarize.summarize(league=league)
    assert doc == tmp_path / "docs" / "benchmarks" / "tiny.md"
    text = doc.read_text()
    assert text.startswith("# League `tiny`: 300 s") and "For a test." in text
    assert "![tiny_budget_axis.png](tiny_budget_axis.png)" in text
    # links from docs/benchmarks/ to the repository go up two folders
    assert "(../../benchmarks/peers/pins/baselines.txt)" in text
    assert (tmp_path / "tiny.csv").exists() and not (tmp_path / "runs.csv").exists()
    means = summarize.budget_axis_means(summarize.load_records(league_raw),
                                        summarize.load_records(main_raw))
    got = {(r.task, r.system, r.budget): (r.score, r.cells) for r in means.itertuples()}
    # at 10 s every system ran seed 0 of both datasets, the league's cells; seed 1 is
    # not one of them
    assert got[("multiclass", "automl-estimators", 10)] == (pytest.approx(0.95), 1)
    assert got[("regression", "hgb", 10)] == (pytest.approx(0.70), 1)
    assert got[("regression", "automl-estimators", 300)] == (pytest.approx(0.88), 1)
    assert {budget for _, _, budget in got} == {10, 300}
    assert (tmp_path / "docs" / "benchmarks" / "tiny_budget_axis.png").exists()


def test_compare_puts_the_candidate_in_our_place_among_the_same_peer_runs(peers, tmp_path):
    sweep, candidate = tmp_path / "sweep", tmp_path / "candidate"
    sweep.mkdir()
    candidate.mkdir()
    synthetic_records(sweep, peers)
    new = {("iris", 0): 0.97, ("iris", 1): 0.80, ("auto_mpg", 0): 0.90,
           ("auto_mpg", 1): 0.85}  # auto_mpg 1: an incomplete cell in the sweep
    for (dataset, seed), score in new.items():
        task, metric = ("multiclass", "accuracy") if dataset == "iris" else ("regression", "r2")
        peers.protocol.write_json(
            candidate / f"{peers.protocol.Run('automl-estimators', dataset, 10, seed).stem}.json",
            {"system": "automl-estimators", "dataset": dataset, "task": task, "budget": 10,
             "seed": seed, "status": "ok", metric: score, "fit_s": 9.0, "elapsed_s": 10.0,
             "peak_mb": 150.0, "overrun_ratio": 0.9, "repo_commit": "feedbeef00"})
    compare = peers.compare
    rows = compare.compare(peers.summarize.load_records(sweep), peers.summarize.load_records(
        candidate))
    by_cell = {(r["dataset"], r["seed"]): r for r in rows}
    assert set(by_cell) == {("iris", 0), ("iris", 1), ("auto_mpg", 0)}
    iris0, iris1, mpg0 = by_cell[("iris", 0)], by_cell[("iris", 1)], by_cell[("auto_mpg", 0)]
    assert (iris0["outcome"], iris0["rank_before"], iris0["rank_after"]) == ("win", 1.5, 1)
    assert (iris1["outcome"], iris1["rank_before"], iris1["rank_after"]) == ("loss", 2, 2)
    assert (mpg0["outcome"], mpg0["rank_before"], mpg0["rank_after"]) == ("win", 2, 1)
    assert (mpg0["best_peer"], mpg0["best_peer_score"]) == ("flaml", 0.85)
    text = "\n".join(compare.render(rows, command="run.py --raw X"))
    assert "# This package: feedbee against the sweep's unknown" in text
    assert "| all | 3 | 1.83 | 1.33 | 2/0/1 | +0.0067 |" in text
    assert "| iris | 1 | multiclass | 0.9000 | 0.8000 | -0.1000 | 2 → 2 | hgb 0.9300 |" in text


def test_memory_sampler_counts_pages_shared_with_a_forked_child_once_in_pss(peers):
    # peers: the benchmark's modules on the path (common), whatever ran before
    import multiprocessing

    from common import TreeMemorySampler

    ballast = np.ones(50 * 2**20 // 8)  # 50 MB the forked child shares, never writes
    context = multiprocessing.get_context("fork")
    child = context.Process(target=time.sleep, args=(1.5,))
    child.start()
    try:
        sampler = TreeMemorySampler(interval=0.1)
        sampler.start()
        time.sleep(0.8)
        sampler.stop()
    finally:
        child.join()
    assert sampler.max_children >= 1
    if not sampler.peak_pss:
        pytest.skip("no PSS from this kernel")
    # RSS counts the 50 MB twice (parent and child); PSS splits them between the two
    assert sampler.peak - sampler.peak_pss > 40 * 2**20, (sampler.peak, sampler.peak_pss)
    assert ballast.sum() > 0


def test_the_reliability_sweep_counts_failures_beyond_the_noise(peers):
    """A score a few test rows below the dummy is noise; beyond two binomial standard
    errors, or over the budget, or not ok, it is a failure."""
    sys.path.insert(0, str(PEERS.parent))
    import reliability_sweep as sweep

    record = {"status": "ok", "budget": 10, "fit_s": 9.0, "primary_metric": "accuracy"}
    dummy, n_test = 0.765, 187
    tol = sweep.tolerance("binary", dummy, n_test)
    assert 0.06 < tol < 0.07  # two binomial standard errors of 0.765 on 187 rows
    assert sweep.failures({**record, "accuracy": 0.754}, dummy, None, 0.01, tol) == []
    assert sweep.failures({**record, "accuracy": 0.69}, dummy, None, 0.01, tol) == [
        "below dummy"]
    assert sweep.failures({**record, "accuracy": 0.80, "fit_s": 11.5}, dummy, 0.85,
                          0.01, tol) == ["overrun", "below hgb"]
    assert sweep.failures({"status": "crash", "budget": 10}, dummy, 0.85, 0.01, tol) == [
        "error"]
    # The package's own clock decides where it was recorded: the harness's fit_s
    # also counts the import of the package and scikit-learn.
    assert sweep.failures({**record, "accuracy": 0.86, "fit_s": 11.5, "own_fit_s": 9.9},
                          dummy, 0.85, 0.01, tol) == []
    assert sweep.failures({**record, "accuracy": 0.86, "fit_s": 12.5, "own_fit_s": 11.2},
                          dummy, 0.85, 0.01, tol) == ["overrun"]
    assert sweep._within(0.9, 1) and not sweep._within(1.2, 1)
    assert not sweep._within(None, 1) and not sweep._within(float("nan"), 1)


def test_the_reliability_sweep_s_noise_is_not_zero_at_a_perfect_reference(peers):
    """A reference that got all 38 test rows right is not a measurement without noise:
    one row of 38 below it is noise, four are not (Agresti and Coull's standard
    error); a committed row is judged again by this rule, its other failures kept."""
    sys.path.insert(0, str(PEERS.parent))
    import reliability_sweep as sweep

    tol = sweep.tolerance("multiclass", 1.0, 38)
    assert 1 / 38 < tol < 4 / 38
    assert sweep.tolerance("multiclass", 1.0, 14_500) == sweep.NOISE  # large: the floor
    assert sweep.tolerance("regression", 0.5, 38) == sweep.NOISE
    row = {"dataset": "iris", "task": "multiclass", "budget": 10, "seed": 2, "status": "ok",
           "score": 37 / 38, "dummy": 12 / 38, "hgb": 1.0, "fit_s": 9.4, "own_fit_s": 9.3,
           "tolerance": 0.01, "failures": "below hgb"}
    assert sweep.rejudge(row)["failures"] == ""
    assert sweep.rejudge(row)["tolerance"] == pytest.approx(tol)
    assert sweep.rejudge({**row, "score": 34 / 38})["failures"] == "below hgb"
    assert sweep.rejudge({**row, "own_fit_s": 12.0})["failures"] == "overrun"
    assert sweep.rejudge({**row, "status": "crash", "score": None})["failures"] == "error"


def test_the_reliability_sweep_s_r2_noise_is_two_standard_errors_of_the_reference(
        peers, tmp_path):
    """R²'s noise is two of the reference's standard errors on its test rows (the
    delta method's, which a bootstrap of the rows agrees with), NOISE at least and
    where none is known."""
    sys.path.insert(0, str(PEERS.parent))
    import reliability_sweep as sweep
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(0)
    y = rng.normal(size=300)
    pred = y + rng.standard_t(3, size=300) * 0.6
    error = sweep.r2_standard_error(y, pred)
    draws = [r2_score(y[i], pred[i]) for i in rng.integers(0, 300, size=(2000, 300))]
    assert error == pytest.approx(np.std(draws), rel=0.15)
    assert sweep.tolerance("regression", 0.5, 100, r2_error=0.03) == pytest.approx(0.06)
    assert sweep.tolerance("regression", 0.5, 100, r2_error=0.001) == sweep.NOISE
    table = tmp_path / "errors.csv"
    table.write_text("dataset,seed,r2_error\nauto_mpg,2,0.029\n")
    assert sweep.r2_error("auto_mpg", 2, table) == 0.029
    assert sweep.r2_error("auto_mpg", 1, table) is None


def test_the_reliability_sweep_times_a_split_s_reference_by_its_fastest_record(peers):
    """Whether the default fits in the budget is read from the fastest fit of the
    split's reference in any pass, not from the pass of that budget's row (a busy
    machine's 98 s for a fit that took 9.3 s on a quiet one)."""
    sys.path.insert(0, str(PEERS.parent))
    import reliability_sweep as sweep

    rows = [{"dataset": "letter", "seed": 1, "budget": 5, "hgb_fit_s": 9.3},
            {"dataset": "letter", "seed": 1, "budget": 10, "hgb_fit_s": 98.1},
            {"dataset": "letter", "seed": 2, "budget": 10, "hgb_fit_s": None}]
    assert [r["hgb_fit_s"] for r in sweep.fastest_reference(rows)] == [9.3, 9.3, None]


def test_the_reliability_sweep_keeps_committed_rows_that_no_new_record_replaces(
        peers, tmp_path):
    """A fresh clone has no raw records: a sub-grid's sweep must not drop the rows of
    runs.csv it did not rerun, and must replace those it did."""
    sys.path.insert(0, str(PEERS.parent))
    import reliability_sweep as sweep

    committed = tmp_path / "runs.csv"
    old = {"dataset": "iris", "task": "multiclass", "status": "ok", "score": 0.9,
           "dummy": 0.33, "hgb": 0.95, "hgb_fit_s": 0.4, "tolerance": 0.07, "fit_s": 1.5,
           "elapsed_s": 2.5, "peak_mb": 600.0, "peak_pss_mb": 300.0, "failures": "",
           "error": "", "repo_commit": "aaaaaaa"}
    with open(committed, "w", newline="") as f:
        writer = csv.DictWriter(f, sweep.COLUMNS)
        writer.writeheader()
        writer.writerow({**old, "budget": 1, "seed": 0})
        writer.writerow({**old, "budget": 10, "seed": 0, "hgb_fit_s": ""})
    raw = tmp_path / "raw"
    raw.mkdir()
    new = {"system": sweep.OURS, "dataset": "iris", "budget": 1, "seed": 0,
           "status": "ok", "primary_metric": "accuracy", "accuracy": 0.97, "n_test": 38,
           "fit_s": 1.2, "repo_commit": "bbbbbbb"}
    (raw / "automl-estimators__iris__1__0.json").write_text(json.dumps(new))

    rows = sweep.table(raw, committed)
    assert [(r["budget"], r["seed"], r["repo_commit"]) for r in rows] == [
        (1, 0, "bbbbbbb"), (10, 0, "aaaaaaa")]
    assert rows[0]["score"] == 0.97
    # no HGB record in raw/: the split's reference is the one its committed rows hold
    assert rows[0]["hgb"] == 0.95 and rows[0]["hgb_fit_s"] == 0.4
    assert rows[0]["failures"] == ""
    (raw / "automl-estimators__iris__1__0.json").write_text(json.dumps({**new, "accuracy": 0.8}))
    assert sweep.table(raw, committed)[0]["failures"] == "below hgb"
    kept = rows[1]
    # its split's fastest reference fit, the one the committed 1 s row held
    assert kept["score"] == 0.9 and kept["budget"] == 10 and kept["hgb_fit_s"] == 0.4


def test_a_resumable_results_csv_keeps_its_rows_when_its_layout_grows(peers, tmp_path):
    """benchmarks/common.append_rows: rows appended after the header; a file written
    before a column was added is rewritten with the column, its old rows given the
    default, before new rows are appended."""
    sys.path.insert(0, str(PEERS.parent))
    from common import append_rows, read_rows

    path = tmp_path / "sub" / "rows.csv"
    assert read_rows(path) == []
    append_rows(path, ("dataset", "seed"), [{"dataset": "iris", "seed": 0}])
    append_rows(path, ("dataset", "seed"), [{"dataset": "car", "seed": 1}])
    append_rows(path, ("dataset", "seed", "busy"), [{"dataset": "adult", "seed": 0, "busy": 2}],
                defaults={"busy": 0})
    assert read_rows(path) == [{"dataset": "iris", "seed": "0", "busy": "0"},
                               {"dataset": "car", "seed": "1", "busy": "0"},
                               {"dataset": "adult", "seed": "0", "busy": "2"}]


def test_the_benchmarks_test_score_reads_labels_as_text_and_targets_as_numbers(peers):
    """benchmarks/common.score_of: a label read from CSV as a number and predicted as
    text (or the reverse) is the same label; a regression target given as text or
    object is scored as numbers, not refused."""
    sys.path.insert(0, str(PEERS.parent))
    from common import score_of

    y_true = np.array([0, 1, 1, 0])
    assert score_of("binary", y_true, np.array(["0", "1", "0", "0"])) == 0.75
    assert score_of("multiclass", np.array(["a", "b", "c"]), ["a", "b", "b"]) == pytest.approx(2 / 3)
    assert score_of("regression", np.array(["1", "2", "3"], dtype=object),
                    np.array([1.0, 2.0, 3.0])) == 1.0


def test_memory_pair_sets_our_peaks_beside_the_peer_s_on_the_runs_both_finished(peers, tmp_path):
    """benchmarks/peers/memory_pair.py: medians and maxima of summed RSS and PSS over
    the cells both systems ran (a cell only one ran is left out), and the runs where
    ours is at or below the peer's, with a missing PSS not counted."""
    import memory_pair

    peaks = {  # (dataset, seed) -> {system: (rss, pss)}
        ("iris", 0): {"automl-estimators": (800.0, 500.0), "autogluon": (600.0, 590.0)},
        ("iris", 1): {"automl-estimators": (900.0, 650.0), "autogluon": (620.0, 610.0)},
        ("car", 0): {"automl-estimators": (700.0, None), "autogluon": (650.0, 640.0)},
        ("car", 1): {"automl-estimators": (5000.0, 4000.0)},  # the peer did not run it
    }
    for (dataset, seed), by_system in peaks.items():
        for system, (rss, pss) in by_system.items():
            record = {"system": system, "dataset": dataset, "task": "multiclass",
                      "budget": 60, "seed": seed, "status": "ok", "accuracy": 0.9,
                      "peak_mb": rss, "peak_pss_mb": pss, "max_procs": 5,
                      "versions": {system: "1.0"}}
            stem = peers.protocol.Run(system, dataset, 60, seed).stem
            peers.protocol.write_json(tmp_path / f"{stem}.json", record)
    both = memory_pair.paired_memory(peers.summarize.load_records(tmp_path), "autogluon")
    assert len(both) == 3
    ours, peer = memory_pair.summary_rows(both, "autogluon")
    assert ours == ["automl-estimators", 3, "800", "900", "575", "650", "5"]
    assert peer == ["autogluon", 3, "620", "650", "610", "640", "5"]
    assert memory_pair.at_or_below(both, "peak_mb") == (0, 3)
    assert memory_pair.at_or_below(both, "peak_pss_mb") == (1, 2)
    text = memory_pair.render(both, "autogluon", "run.py --budgets 60")
    assert "at or below autogluon by summed PSS: 1 of 2 runs" in text
    assert "| car | multiclass | 60 | 0 | 700 | 650 | — | 640 |" in text


def test_the_trial_limit_report_sets_each_share_against_the_package_s_own(peers, tmp_path):
    """benchmarks/trial_limit.py: the arm of the largest share is the base; each other
    arm's mean difference over the cells both ran, its wins / ties / losses, and the
    share of the trials' seconds lost to trials stopped at the limit."""
    sys.path.insert(0, str(PEERS.parent))
    import trial_limit
    from common import write_rows

    def row(dataset, share, score, timeouts, lost):
        return {"dataset": dataset, "task": "binary", "seed": "0", "budget": "60",
                "share": share, "trial_limit": 60 * share, "score": score, "trials": 40,
                "timeouts": timeouts, "timeout_seconds": lost, "trial_seconds": 100,
                "fit_s": 59, "final": "ensemble of 2", "commit": "abc1234"}

    rows = [row("adult", 0.25, 0.870, 1, 15), row("adult", 0.1, 0.860, 3, 18),
            row("phoneme", 0.25, 0.910, 0, 0), row("phoneme", 0.1, 0.910, 2, 12),
            row("kc1", 0.1, 0.850, 1, 6),  # its other arm did not run: left out
            row("credit-g", 0.25, 0.750, 0, 0), row("credit-g", 0.1, 0.760, 0, 0)]
    path = tmp_path / "rows.csv"
    write_rows(path, trial_limit.FIELDS, rows)
    trial_limit.main(["report", "--budget", "60", "--rows", str(path)])
    text = path.with_suffix(".md").read_text()
    assert "- share 0.1: mean +0.0000 (SE 0.0058) over 3 cells; 1 higher, 1 equal, 1 lower" in text
    assert "- share 0.25: 1 trials stopped at the limit, 15 of 300 trial seconds (5%)" in text
    assert "- share 0.1: 6 trials stopped at the limit, 36 of 400 trial seconds (9%)" in text
    assert "| adult | 0 | 0.8700 | 0.8600 | 1 (15 of 100) | 3 (18 of 100) |" in text
    assert "| kc1 | 0 | — | 0.8500 | — | 1 (6 of 100) |" in text
