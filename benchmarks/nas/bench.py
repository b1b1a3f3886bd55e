"""Neural architecture search benchmark: random search vs regularized evolution.

Usage
-----
    python benchmarks/nas/bench.py                      # 120 s, seeds 0,1,2, 4 datasets, CPU
    python benchmarks/nas/bench.py --budgets 60 --seeds 0 --datasets digits,segment
    python benchmarks/nas/bench.py --arms random,evolution --device cuda   # on a GPU machine
    python benchmarks/nas/bench.py --summarize          # only rewrite the tables and plots
    python benchmarks/nas/bench.py --results-dir /tmp/nas ...   # elsewhere than benchmarks/results

Arms (``AutoClassifier``, same ``time_budget``, ``n_jobs=2``, ``random_state=seed``,
same 75/25 stratified split):

- random:    ``search="random", neural=True, include=["neural_network"]``: random
             configurations of the network component (training settings, cells,
             blocks, width, and the cells through ``architecture_seed``);
- evolution: ``search="evolution", neural=True, include=["neural_network"]``:
             regularized evolution with successive halving over epochs;
- baseline:  ``neural=False`` and the default search (``"auto"``: SMAC from 20 s):
             the best non-neural pipeline.

Both neural arms start from the same warm start (the network component at its
defaults), then their strategy proposes networks only.

Datasets: mfeat-pixel, letter, segment (``../shared/datasets``, tabular) and
digits (``sklearn.datasets.load_digits``, ``image_shape=(8, 8)``: convolutional
cells), split as ``benchmarks/common.py`` splits every dataset.

Device: ``--device cpu`` (the default) hides any GPU from a run
(``CUDA_VISIBLE_DEVICES=""``); ``--device cuda`` needs one. The device is part of
a record's name; the baseline trains no network and always runs as cpu. With
records of both devices from the same machine, the summary fills its GPU
speed-up table.

Each run is its own subprocess (OMP_WAIT_POLICY=PASSIVE), killed at 3 x budget + 60 s;
its JSON goes to ``<results-dir>/raw/nas/`` (git-ignored under benchmarks/results)
and is skipped when there. Summary: ``<results-dir>/nas.md`` (+ ``nas.csv``, +
``nas_anytime_<dataset>_<budget>[_cuda].png``), written by ``report.py``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import report
from common import (
    RESULTS,
    dataset_entry,
    load_split,
    machine_line,
    score_of,
    spawn,
    split_frame,
)
from search import anytime_curve

ARMS = ("random", "evolution", "baseline")
NEURAL_ARMS = ("random", "evolution")
DATASETS = ("mfeat-pixel", "letter", "segment", "digits")
DEVICES = ("cpu", "cuda")
DEFAULT_BUDGETS = (120,)
DEFAULT_SEEDS = (0, 1, 2)
# Datasets that are images, and their (height, width); the others are tabular.
IMAGE_SHAPES = {"digits": (8, 8)}
N_JOBS = 2


def raw_dir(results):
    return Path(results) / "raw" / "nas"


def run_device(arm, device):
    """The device a run is recorded under: the baseline trains no network."""
    return "cpu" if arm not in NEURAL_ARMS else device


def stem(arm, name, budget, seed, device):
    return f"{arm}__{name}__{budget}__{seed}__{run_device(arm, device)}"


def arm_params(arm, image_shape=None):
    from automl_estimators.spaces.neural import NAME

    neural_only = {"neural": True, "include": [NAME]}
    return {
        "random": {"search": "random", **neural_only},
        "evolution": {"search": "evolution", **neural_only},
        "baseline": {"neural": False},
    }[arm] | {"n_jobs": N_JOBS, "image_shape": image_shape}


def load_data(name, seed):
    """(X_train, X_test, y_train, y_test, dataset facts) for a shared dataset or digits."""
    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True, as_frame=True)
        facts = {"task": "multiclass", "rows": len(X), "features": X.shape[1]}
        return (*split_frame(X, y, facts["task"], seed), facts)
    entry = dataset_entry(name)
    facts = {"task": entry["task"], "rows": entry["n_rows"], "features": entry["n_features"]}
    return (*load_split(entry, seed), facts)


def network_effort(est):
    """Trials, networks and epochs of one fit, from its leaderboard.

    Epochs: the ``max_epochs`` each finished network trial was given (a share of
    them at a low fidelity, read from the pipeline the package builds for it),
    times its folds. Early stopping may end a network sooner; trials' fitted
    models are not kept, so the epochs actually run are not known.
    """
    from automl_estimators.pipelines.builder import build_pipeline
    from automl_estimators.search.base import config_key
    from automl_estimators.spaces.neural import NAME

    lb = est.leaderboard_
    real = lb[lb["origin"] != "dummy"]
    ok = real["status"] == "ok"
    nets = real[real["model"] == NAME]
    epochs = 0
    for _, r in nets[nets["status"] == "ok"].iterrows():
        pipeline = build_pipeline(r["config"], est.search_space_, est.profile_,
                                  fidelity=r["fidelity"])
        epochs += pipeline.named_steps["model"].max_epochs * max(len(r["fold_scores"]), 1)
    return {
        "n_trials": len(real),
        "n_networks": len({config_key(c) for c in nets["config"]}),
        "n_full": int((ok & (real["fidelity"] >= 1.0)).sum()),
        "n_low": int((ok & (real["fidelity"] < 1.0)).sum()),
        "n_failed": int((~ok).sum()),
        "failures": real.loc[~ok, "status"].value_counts().to_dict(),
        "epochs": int(epochs),
        # neural arms: networks only (the same trials); baseline: all its pipelines
        "curve": anytime_curve(nets if len(nets) else real),
    }


def best_network(est):
    """The chosen single pipeline's network: architecture, epochs run, device."""
    model = est.best_pipeline_.steps[-1][1] if hasattr(est.best_pipeline_, "steps") else None
    if not hasattr(model, "architecture_"):
        return {"best_architecture": None}
    spec = model.network_spec_
    return {"best_architecture": repr(model.architecture_),
            "best_macro": f"{model.n_cells} cells x {len(model.architecture_.normal)} blocks, "
                          f"width {model.width}, max_epochs {model.max_epochs}, "
                          f"lr {model.learning_rate:.2g}, batch {model.batch_size}",
            "final_epochs": int(model.n_iter_), "final_best_epoch": int(model.best_epoch_),
            "device_used": model.device_, "image": spec.image_shape is not None}


def hide_or_check_gpu(device):
    """Make the run's device the asked one; returns the GPU's name (None on CPU)."""
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before torch loads; workers inherit it
        return None
    import torch

    if not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for, but torch sees no CUDA GPU")
    return torch.cuda.get_device_name(0)


def run_one(arm, name, budget, seed, device, out):
    rec = {"experiment": "nas", "arm": arm, "dataset": name, "budget": budget, "seed": seed,
           "device": run_device(arm, device), "machine": machine_line(),
           "image_shape": IMAGE_SHAPES.get(name), "status": "error"}
    try:
        rec["gpu"] = hide_or_check_gpu(rec["device"])
        from automl_estimators import AutoClassifier

        X_tr, X_te, y_tr, y_te, facts = load_data(name, seed)
        rec.update(facts)
        est = AutoClassifier(time_budget=budget, random_state=seed,
                             **arm_params(arm, IMAGE_SHAPES.get(name)))
        start = time.perf_counter()
        est.fit(X_tr, y_tr)
        rec["wall_s"] = time.perf_counter() - start
        rec["test_score"] = score_of(facts["task"], y_te, est.predict(X_te))
        # best_pipeline_ predicts encoded labels: the best single pipeline, refit
        single = est.classes_[est.best_pipeline_.predict(X_te).astype(int)]
        rec["test_score_single"] = score_of(facts["task"], y_te, single)
        plan = est.search_plan_
        ensemble = est.ensemble_
        rec.update(network_effort(est))
        rec.update(best_network(est))
        rec.update(
            status="ok", fit_time=float(est.fit_time_), best_val=float(est.best_score_),
            best_model=est.best_config_.get("model", "dummy"),
            best_pipeline=(est.search_space_.describe(est.best_config_)
                           if est.best_config_ else "dummy"),
            best_config=est.best_config_,
            ensemble_members=0 if ensemble is None else len(ensemble.members_),
            refit=est.refit_, plan=plan.reason, resampling=plan.resampling,
            n_folds=plan.n_folds if plan.resampling == "cv" else 1,
            search_rows=plan.search_rows, total_rows=plan.total_rows)
    except BaseException as exc:  # noqa: BLE001 - recorded, never lost
        rec["error"] = f"{type(exc).__name__}: {exc}"
        rec["traceback"] = traceback.format_exc()
    Path(out).write_text(json.dumps(rec, indent=1, default=str))
    return 0 if rec["status"] == "ok" else 1


def sweep(names, budgets, seeds, arms, device, raw):
    raw.mkdir(parents=True, exist_ok=True)
    for budget in budgets:
        for seed in seeds:
            for name in names:
                for arm in arms:
                    run = stem(arm, name, budget, seed, device)
                    out = raw / f"{run}.json"
                    if out.exists():
                        continue
                    print(f"[{time.strftime('%H:%M:%S')}] {run}", flush=True)
                    rc, timed_out, elapsed = spawn(
                        Path(__file__).resolve(),
                        ["--one", arm, name, str(budget), str(seed), device, "--out", str(out)],
                        3 * budget + 60, raw / f"{run}.log")
                    if timed_out or not out.exists():
                        out.write_text(json.dumps({
                            "experiment": "nas", "arm": arm, "dataset": name, "budget": budget,
                            "seed": seed, "device": run_device(arm, device),
                            "machine": machine_line(),
                            "status": "timeout" if timed_out else "crash",
                            "error": f"rc={rc} after {elapsed:.0f}s"}))
                    rec = json.loads(out.read_text())
                    print(f"    -> {rec['status']} test={rec.get('test_score_single')} "
                          f"networks={rec.get('n_networks')} epochs={rec.get('epochs')} "
                          f"{rec.get('error', '')}", flush=True)


def csv_list(text, cast=str):
    return [cast(v) for v in text.split(",") if v]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--one", nargs=5, metavar=("ARM", "DATASET", "BUDGET", "SEED", "DEVICE"),
                    help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--budgets", default=",".join(map(str, DEFAULT_BUDGETS)))
    ap.add_argument("--seeds", default=",".join(map(str, DEFAULT_SEEDS)))
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--arms", default=",".join(ARMS), help=f"subset of {', '.join(ARMS)}")
    ap.add_argument("--device", choices=DEVICES, default="cpu",
                    help="where the networks train (the baseline always runs as cpu)")
    ap.add_argument("--results-dir", default=str(RESULTS),
                    help="summary here, raw records under raw/nas/ (default: %(default)s)")
    ap.add_argument("--summarize", action="store_true", help="only rewrite the summary")
    args = ap.parse_args(argv)
    if args.one:
        arm, name, budget, seed, device = args.one
        return run_one(arm, name, int(budget), int(seed), device, args.out)
    arms = csv_list(args.arms)
    if set(arms) - set(ARMS):
        ap.error(f"unknown arms {sorted(set(arms) - set(ARMS))}; the arms are {list(ARMS)}")
    results = Path(args.results_dir)
    command = "python benchmarks/nas/bench.py " + " ".join(
        argv if argv is not None else sys.argv[1:])
    if not args.summarize:
        sweep(csv_list(args.datasets), csv_list(args.budgets, int), csv_list(args.seeds, int),
              arms, args.device, raw_dir(results))
    path = report.summarize(raw_dir(results), results, command.strip())
    print(path.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
