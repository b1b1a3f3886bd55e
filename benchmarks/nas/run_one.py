"""One run of the NAS strategies benchmark, in this process: fit, score, describe.

Usage (``run.py`` starts it, one fresh process per run)::

    python benchmarks/nas/run_one.py --dataset digits --arm random --seed 0 \\
        --budget 60 --device cpu --out row.json

Writes one JSON object to ``--out``: the row ``records.py`` keeps. A failure is a
row with ``status="error"`` and the traceback, never a lost run; an arm whose
strategy this checkout does not register is a row with ``status="unavailable"``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import arms
import loaders
from common import machine_line

# Training-recipe hyperparameters of a network, read from its configuration
# (``model:neural_network:<name>``) or, when the search did not set them, the
# network estimator's defaults.
RECIPE = ("activation", "optimizer", "lr_schedule")


def is_network(config: dict) -> bool:
    from automl_estimators.spaces.neural import NAME

    return bool(config) and config.get("model") == NAME


def _finished_at(result) -> float:
    return float(result.started_at) + float(result.duration)


def anytime_curve(history) -> list:
    """``[seconds, networks trained, best validation so far]`` after each finished trial.

    In the order trials finished (``started_at + duration``); the dummy fallback
    and trials without an end time (cancelled before starting) are left out.
    Networks trained: network trials that ended ``ok``, at any fidelity. Best
    validation: the best full-fidelity ``ok`` score so far (None before the first:
    a low-fidelity score is not comparable).
    """
    trials = [r for r in history if r.origin != "dummy"
              and math.isfinite(float(r.started_at)) and math.isfinite(float(r.duration))]
    trials.sort(key=lambda r: (_finished_at(r), r.trial_id))
    curve, networks, best = [], 0, None
    for r in trials:
        if r.ok:
            networks += is_network(r.config)
            if r.fidelity >= 1.0 and math.isfinite(float(r.score)):
                best = float(r.score) if best is None else max(best, float(r.score))
        curve.append([round(_finished_at(r), 3), networks, best])
    return curve


def best_network_trial(history, best_config):
    """The trial of the chosen network, or else of the best full-fidelity network."""
    networks = [r for r in history if r.ok and r.fidelity >= 1.0 and is_network(r.config)]
    chosen = [r for r in networks if r.config == best_config]
    if chosen:
        return chosen[0]
    return max(networks, key=lambda r: r.score, default=None)


def recipe_of(config: dict, defaults: dict | None = None) -> dict:
    """The training recipe of a network: ``{name: [value, "searched" | "default"]}``.

    A name the configuration does not set is the network estimator's default
    (``defaults``: its ``get_params()``; read from ``NeuralClassifier`` when not
    given). Names the estimator does not have are left out.
    """
    if defaults is None:
        from automl_estimators.nas.estimators import NeuralClassifier

        defaults = NeuralClassifier().get_params()
    recipe = {}
    for name in RECIPE:
        searched = [v for k, v in config.items() if k.rsplit(":", 1)[-1] == name]
        if searched:
            recipe[name] = [_plain(searched[0]), "searched"]
        elif name in defaults:
            recipe[name] = [_plain(defaults[name]), "default"]
    return recipe


# The size hyperparameters of a network (spaces.neural.SIZE_HYPERPARAMETERS), kept for
# each failed network trial: what ran out of memory or time.
SIZE = ("n_cells", "n_blocks", "width", "max_epochs")


def failed_networks(trials) -> list:
    """Each network trial that did not succeed: its status, seconds and size (the
    configuration's size hyperparameters; one not set is the estimator's default)."""
    return [{"status": str(r.status), "seconds": round(float(r.duration), 1),
             **{name: _plain(v) for k, v in r.config.items()
                for name in SIZE if k.rsplit(":", 1)[-1] == name}}
            for r in trials if not r.ok]


def _plain(value):
    """A value as JSON holds it (numbers, strings, lists, dicts; else its repr)."""
    return json.loads(json.dumps(value, default=repr))


def network_of(pipeline):
    """The network estimator at the end of a fitted pipeline, or None."""
    model = pipeline.steps[-1][1] if hasattr(pipeline, "steps") else pipeline
    return model if hasattr(model, "architecture_") else None


def describe_final(est) -> str:
    """The final model in words: the pipeline, or the ensemble's members and weights."""
    if est.ensemble_ is None:
        return est.search_space_.describe(est.best_config_) if est.best_config_ else "dummy"
    lb = est.leaderboard_
    members = lb[lb["ensemble_weight"] > 0].sort_values("ensemble_weight", ascending=False)
    return "ensemble: " + ", ".join(f"{p} ({w:.2f})" for p, w in
                                   zip(members["pipeline"], members["ensemble_weight"]))


def search_facts(est) -> dict:
    """What a fitted ``AutoClassifier`` says about its search, as plain values."""
    history = [r for r in est.history_ if r.origin != "dummy"]
    nets = [r for r in history if is_network(r.config)]
    ok_nets = [r for r in nets if r.ok]
    full_net_seconds = [float(r.duration) for r in ok_nets if r.fidelity >= 1.0]
    statuses, origins = {}, {}
    for r in history:
        statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
        origins[r.origin] = origins.get(r.origin, 0) + 1
    facts = {
        "best_validation": float(est.best_score_),
        "n_trials": len(history),
        "n_networks": len(ok_nets),
        "n_network_trials": len(nets),
        "network_seconds_mean": (sum(full_net_seconds) / len(full_net_seconds)
                                 if full_net_seconds else None),
        "statuses": statuses,
        "failed_networks": failed_networks(nets),
        "origins": origins,
        "curve": anytime_curve(est.history_),
        "search_report": _plain(est.search_report_),
        "plan": est.search_plan_.reason,
        "strategy": est.search_plan_.strategy,
        "neural_branch": bool(est.search_plan_.neural),
        "final_model": describe_final(est),
        "ensemble_size": 0 if est.ensemble_ is None else int((est.leaderboard_[
            "ensemble_weight"] > 0).sum()),
        "refit": est.refit_,
    }
    trial = best_network_trial(est.history_, est.best_config_)
    chosen_net = network_of(est.best_pipeline_)
    if trial is not None:
        facts["best_network_validation"] = float(trial.score)
        facts["best_network_parameters"] = trial.info.get("n_parameters")
        facts["best_network_architecture"] = (repr(trial.info["architecture"])
                                              if "architecture" in trial.info else None)
        facts["recipe"] = recipe_of(trial.config)
    if chosen_net is not None:
        facts["final_network"] = (f"{chosen_net.n_cells} cells x "
                                  f"{len(chosen_net.architecture_.normal)} blocks, width "
                                  f"{chosen_net.width}: {chosen_net.architecture_!r}")
    return facts


def device_of(device: str):
    """Make the run's device the asked one; the GPU's name (None on cpu).

    Raises
    ------
    RuntimeError
        When ``device="cuda"`` and torch sees no CUDA GPU.
    """
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before torch loads; workers inherit it
        return None
    import torch

    if not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for, but torch sees no CUDA GPU; "
                           "run with --device cpu.")
    return torch.cuda.get_device_name(0)


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                         capture_output=True, text=True, check=False)
    return out.stdout.strip() or "unknown"


def run(dataset: str, arm: str, seed: int, budget: float, device: str, n_jobs: int = 2) -> dict:
    """Fit ``arm`` on ``dataset`` for ``seed`` and return its row."""
    from sklearn.metrics import accuracy_score

    row = {"dataset": dataset, "arm": arm, "seed": seed, "budget": budget,
           "device": arms.run_device(arm, device), "n_jobs": n_jobs, "commit": commit(),
           "machine": machine_line(),
           "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "status": "error"}
    reason = arms.unavailable_reason(arm)
    if reason:
        return {**row, "status": "unavailable", "error": reason}
    try:
        row["gpu"] = device_of(row["device"])
        problem = loaders.load(dataset, seed)
        row.update(problem.facts())
        est = arms.make_estimator(arm, budget, seed, problem.image_shape, n_jobs)
        start = time.perf_counter()
        est.fit(problem.X_train, problem.y_train)
        row["fit_seconds"] = time.perf_counter() - start
        row["test_accuracy"] = float(accuracy_score(problem.y_test, est.predict(problem.X_test)))
        if hasattr(est, "history_"):
            single = est.classes_[est.best_pipeline_.predict(problem.X_test).astype(int)]
            row["test_accuracy_single"] = float(accuracy_score(problem.y_test, single))
            row.update(search_facts(est))
        else:
            row["final_model"] = repr(est)
        row["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - recorded, never lost
        row["error"] = f"{type(exc).__name__}: {exc}"
        row["traceback"] = traceback.format_exc()
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", required=True, choices=loaders.DATASETS)
    ap.add_argument("--arm", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--budget", type=float, required=True)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)
    budget = int(args.budget) if args.budget.is_integer() else args.budget
    row = run(args.dataset, args.arm, args.seed, budget, args.device, args.n_jobs)
    args.out.write_text(json.dumps(row, default=str))
    return 0 if row["status"] in ("ok", "unavailable") else 1


if __name__ == "__main__":
    sys.exit(main())
