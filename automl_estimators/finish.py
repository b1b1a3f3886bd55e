"""The finishing step: the model a fit ends with, and the time it needs.

Before the search, :func:`fit_fallback` fits the dummy model (so ``predict``
works whatever happens next). After it, :meth:`Finisher.finish` chooses the
final model from the history (:func:`~.selection.choose_final`, under the
Finisher's ``rule``: a weighted ensemble of the trials or one trial) and refits
it on all rows; when the ensemble cannot be refit in time it refits the rule's
single choice, else keeps a model fitted during search, else the dummy: the
first of these that the time left allows. :meth:`Finisher.reserve` says how much time that needs,
so that the search loop stops early enough to leave it.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from sklearn.pipeline import Pipeline

from .budget import (
    MIN_TRIAL_SECONDS,
    REFIT_OVERHEAD,
    estimate_refit_seconds,
    parallel_seconds,
    row_scale,
)
from .ensemble import EnsembleClassifier, EnsembleRegressor, blend, fold_score
from .errors import ParameterError
from .evaluation import Refit
from .pipelines.components import scale_size_bounds
from .plan import INLINE_MAX_SECONDS
from .scoring import concatenate, fold_scores, predictions_of
from .selection import above_dummy, choose_final, noise_bar, refit_holds
from .trial import Limits, Status, TrialResult
from .user_warnings import warn

# Ranked trials tried in turn when the best one cannot be refit in time.
REFIT_CANDIDATES = 3
# Share of the time left after the search that ensemble selection may use
# (it scores blends in the parent; the members' refit needs the rest).
ENSEMBLE_SELECTION_SHARE = 0.2
# When it ensembles, the search keeps in reserve the refit of the best trials that
# may join the ensemble: this many, best first, refit in parallel n_jobs at a time
# (parallel_seconds; one at a time on large data, Finisher._member_workers), and
# ensemble selection's share of the time left beside it.
# Measured at 60 s on the 28 shared datasets x 3 seeds (benchmarks/peers runs.csv):
# the final models had 1 member 29 times, 2: 24, 3: 15, 4: 14, 6: 2 of 84; four
# covers 82.
# Too small a reserve only shrinks the ensemble to the members whose refit fits in
# the time left, never the budget. Before, the reserve was three refits of the
# best trial, whatever the others cost: a verbose 60 s fit on electricity ended its
# search with 21.3 s left and finished in 6 s.
ENSEMBLE_LIKELY_MEMBERS = 4
ENSEMBLE_RESERVE_SHARE = 0.15
# That guess holds back too much where the rule would end on fewer or cheaper
# members (one network, say, whose refit alone takes a minute). Where it holds back
# at least CONFIRM_MIN_SECONDS more than one refit, the reserve is that of the
# choice the rule makes from the trials so far (choose_final, given at most
# CONFIRM_SECONDS and CONFIRM_SHARE of the time left; no more than the guess),
# made again when trials were added, and at most CONFIRM_LOOP_SHARE of the time
# since the last one goes to making it. A member that joins later than the last
# choice only shrinks the ensemble to what can be refit in time, as above.
# Measured with the guess alone (benchmarks/refit_estimate.py, 28 shared datasets at
# 30 s, a3da263): on 8 of 28 fits it held back the whole 15 % of the budget beyond
# one refit (cnae-9 5.2 s for a logistic regression refit in 0.7 s; bank-marketing
# 6.1 s for one refit in 0.8 s), and the fits ended 3.3 s before their budget on
# average. The choice is made in the fit's own process, and where trials take a
# tenth of a second that process is what limits the search: with the choice made
# from 0.5 s of excess on (benchmarks/results/finish_reserve_30s_first.md, 73dd02c),
# iris ran 148 trials against 227, auto_mpg 102 against 178, blood-transfusion 156
# against 212, where the guess held back at most 1.3 s; from 2 s on it is made only
# where the refits are long, and the trials are too.
CONFIRM_MIN_SECONDS = 2.0
CONFIRM_SECONDS = 1.0
CONFIRM_SHARE = 0.02
CONFIRM_LOOP_SHARE = 0.1
# When the chosen trial's refit on all rows is not expected to finish in the time
# left (large data: the search ran on SEARCH_ROWS of them), it is refit on as many
# rows as the time allows, if that is at least PARTIAL_REFIT_MIN_GAIN times the rows
# its search-time model saw (else that model serves), and the search holds back at
# most PARTIAL_REFIT_SHARE of the budget for it. Before, the search held back the
# whole refit it could never run: a 300 s fit on 750,000 rows (the strong default
# at 10.8 s on 20,100 search rows, its refit expected at ~600 s) ended its search
# at 36 s and the fit at 37 s, on the model fitted on 20,100 rows.
PARTIAL_REFIT_MIN_GAIN = 2.0
PARTIAL_REFIT_SHARE = 0.5
# The rule that chooses the final model (a :data:`~.selection.RULES` name): the
# ensemble or best trial only when it beats the strong default by more than one
# standard error of their paired per-fold differences. Measured against "best"
# (main's rule before it) on the same searches (benchmarks/selection.py, 10 binary
# datasets x 5 seeds, 5 multiclass/regression datasets x 2 seeds, 60 s): test
# accuracy +0.0004 (SE 0.0004) on binary, 2 wins / 47 ties / 1 loss; the same
# final model on every multiclass and regression cell (docs/benchmarks.md).
SELECTION_RULE = "one_se"
# Refits get n_jobs threads only where the search's workers had their cores. A
# multi-threaded OpenMP learner waits at the end of each parallel region for its
# slowest thread, and where other programs hold the cores that thread is often not
# running: beside two busy processes on two cores, the default HistGradientBoosting
# fitted about 5.5x and 3x slower on two threads than on one (electricity 3.35 s
# against 0.61 s, letter 26.2 s against 9.3 s), and beside one busy process 33x
# (electricity 14.35 s against 0.44 s; benchmarks/results/omp_under_load.md).
# On an idle machine two threads gained 5-10 %. The trials run on one thread each in
# a worker and report the share of a core they had (TrialResult.cpu_share); a refit
# gets the cores the workers had in all, rounded, over the last CONTENTION_TRIALS
# trials (refit_threads).
CONTENTION_TRIALS = 20


@dataclass(frozen=True)
class Final:
    """The model a fit ends with: the chosen trial, and for an ensemble its members.

    ``score`` is the final model's validation score (the chosen trial's when None);
    ``members`` the (trial id, weight) pairs of an ensemble; ``best_model`` the
    chosen trial's own refit model inside an ensemble.
    """

    model: object
    chosen: TrialResult
    score: float | None = None
    members: tuple = ()
    best_model: object = None
    # The share of all rows the model was refit on (below 1: a partial refit).
    rows_share: float = 1.0


def fit_fallback(estimator, X, y, splits, *, task, metric, n_classes, history, budget):
    """Fit ``estimator`` (the dummy) on all rows, first, so that predict works whatever
    happens next; its validation score is trial 0, the first row of the leaderboard.

    Scoring it also checks early that the metric fits the task.

    Raises
    ------
    ParameterError
        If the metric cannot score this task's target (a ``ValueError``).
    """
    dummy = Pipeline([("model", estimator)])
    folds = []
    for train, valid in splits:
        # the dummy reads no feature: one column of zeros per fold spares copying X's
        # rows (pandas' take of text columns: ~0.1 s on 36,000 rows)
        fold_model = dummy.fit(np.zeros((len(train), 1)), y[train])
        folds.append(predictions_of(fold_model, np.zeros((len(valid), 1)), n_classes))
    try:
        scores = fold_scores(metric, task, y, splits, folds)
    except Exception as exc:  # noqa: BLE001 - the metric does not fit the task
        classes = "" if metric.labels is None else \
            f" (classes {np.asarray(metric.labels).tolist()[:10]})"
        raise ParameterError(f"metric {metric.name!r} cannot score this {task} target"
                             f"{classes}: {type(exc).__name__}: {exc}. Choose a metric, or "
                             "parameters of it (such as pos_label), that fit the "
                             "target.") from None
    history.add(TrialResult(trial_id=0, config={}, origin="dummy", fidelity=1.0,
                            status=Status.OK, score=float(np.mean(scores)), fold_scores=scores,
                            fit_seconds=0.0, duration=0.0, started_at=budget.elapsed(),
                            predictions=concatenate(folds)))
    return dummy.fit(X, y)


def cores_had(results, n_workers: int) -> float | None:
    """The cores the search's workers had in all: ``n_workers`` times the share of a
    core the last :data:`CONTENTION_TRIALS` trials had while fitting (each at most
    one: a library's own threads do not hide the others' wait), weighted by their
    fit seconds; None where no trial measured it.

    ``results``: the trials so far (:attr:`.History.results`).
    """
    measured = [(r.cpu_share, r.fit_seconds) for r in results
                if r.ok and r.cpu_share is not None and np.isfinite(r.fit_seconds)
                and r.fit_seconds > 0][-CONTENTION_TRIALS:]
    if not measured:
        return None
    shares, seconds = np.array(measured).T
    return n_workers * float(np.average(np.minimum(shares, 1.0), weights=seconds))


def refit_threads(cores: float | None, n_threads: int) -> int:
    """Threads for a refit: ``n_threads``, or the :func:`cores_had` rounded where fewer."""
    return n_threads if cores is None else max(1, min(n_threads, int(np.floor(cores + 0.5))))


@dataclass
class Finisher:
    """Chooses and refits the final model within the budget.

    Parameters
    ----------
    task : {"classification", "regression"}
    metric : Metric
    y : ndarray
        The encoded target of all rows.
    splits : list of (train_rows, valid_rows)
    n_classes : int or None
    ensemble_size : int
        Greedy picks of ensemble selection; below 2, no ensemble.
    n_threads : int
        Threads of the final refit (``n_jobs``; fewer where the search's workers did
        not have their cores: :func:`refit_threads`).
    train_rows, all_rows : int
        Rows a trial fits on, and rows of the refit (to scale refit estimates).
    budget : Budget
    reporter : Reporter
    limits : Limits
        Size and latency limits. Infeasible trials are never ranked, so neither
        chosen nor ensembled; an ensemble holds and runs all its members, so its
        members' parameters and seconds per row add up and must keep to the
        limits too.
    memory_limit : int or None
        The workers' memory limit (megabytes), named in the warning of a fit that
        ends on the dummy because its trials ran out of memory.
    n_workers : int
        Workers that refit an ensemble's members in parallel (``n_jobs``, or a
        Dask cluster's threads); on large data they are refit one at a time
        (:meth:`_member_workers`).
    rule : str
        How the final model is chosen from the history (:data:`~.selection.RULES`).
    """

    task: str
    metric: object
    y: np.ndarray
    splits: list
    n_classes: int | None
    ensemble_size: int
    n_threads: int
    train_rows: int
    all_rows: int
    budget: object
    reporter: object
    limits: Limits = field(default_factory=Limits)
    memory_limit: int | None = None
    n_workers: int = 1
    rule: str = SELECTION_RULE
    # (trials seen, seconds it held back, when it was made, seconds it took) of the
    # last choice made for the reserve (_confirmed_reserve)
    _confirmed: tuple | None = field(default=None, init=False, repr=False)
    # (trial, handle) of the refit started while the search waited for the strong
    # default's trial (refit_early)
    _early: tuple | None = field(default=None, init=False, repr=False)

    def reserve(self, ranked, results=None) -> float:
        """Seconds the finishing step needs when ``ranked`` are the successful
        full-fidelity trials so far, best first (:meth:`.History.ranked`), of
        ``results`` (all trials, :attr:`.History.results`; optional).

        One refit of the best trial; when ensembling, the parallel refit of the
        :data:`ENSEMBLE_LIKELY_MEMBERS` best trials beside the time ensemble
        selection may take (:data:`ENSEMBLE_SELECTION_SHARE` of what is left), its
        excess over one refit within :data:`ENSEMBLE_RESERVE_SHARE` of the budget;
        where that excess is :data:`CONFIRM_MIN_SECONDS` or more and ``results``
        are given, no more than the refit of the choice the rule makes from them
        (:meth:`_confirmed_reserve`), and no less than the one refit.
        Nothing while only the dummy is held: there is nothing to refit. Nothing
        either when the best's refit could not finish in the time left when its trial
        ended (:meth:`_left_when_ended`) and its model as fitted during search is
        held: that model serves (:meth:`_refit`),
        and stopping the search would only waste the time (measured: a 120 s search
        of networks on MNIST-1D stopped at 51 s for a network's refit it then could
        not run, and the fit ended there).
        """
        likely = [r for r in ranked[:ENSEMBLE_LIKELY_MEMBERS + 1] if r.origin != "dummy"]
        if not likely or ranked[0].origin == "dummy":
            return 0.0
        best = likely[0]
        once = self._refit_estimate(best)
        if self.budget.workers_starting():
            # The workers are not up (a fit of a second or two in a fresh process):
            # a short refit runs in this process (_refit_here), with no worker to
            # start or answer, so hold back what it needs there. Measured at a 1 s
            # budget (docs/reliability.md, session 12): the default was done by 0.3 s,
            # the worker's refit estimate (0.5 s of overhead alone) never fitted,
            # and the fit waited until 0.7 s to keep the search-time model.
            here = self._here_estimate(best)
            if here <= INLINE_MAX_SECONDS:
                once = min(once, here)
        if once > self._left_when_ended(best):
            if self._partial_refit_possible():
                # No refit on all rows can finish any more: hold back time for one on
                # part of the rows when that much allows one worth it, else none (the
                # search runs on; a later best may be refit in full, or its model
                # serves).
                hold = min(once, PARTIAL_REFIT_SHARE * self.budget.total)
                return hold if self._least_partial_seconds(best) <= hold else 0.0
            if best.model is not None:
                return 0.0
        if self.ensemble_size <= 1:
            return once
        guess = self._ensemble_reserve(once, likely[:ENSEMBLE_LIKELY_MEMBERS])
        if results is None or guess - once < CONFIRM_MIN_SECONDS:
            return guess
        confirmed = self._confirmed_reserve(results)
        # Never below the best's one refit: a choice made before the latest best
        # came in does not know its refit.
        return guess if confirmed is None else max(once, min(guess, confirmed))

    def _left_when_ended(self, trial) -> float:
        """Seconds the fit had left when ``trial`` ended (the time left now where its
        end is not known). Whether the best trial's refit can still finish is read
        there, not now: the search stops when the time left is the reserve held for
        that refit, so read now, the answer would turn to no as the search ends (by
        however late the loop woke to end it), the reserve drop, and the search run
        on into the time held. The search also held back a poll of the loop,
        0.5 s, until 2dcc4a8, which hid that."""
        ended = trial.ended_at
        return self.budget.remaining_at(ended if math.isfinite(ended) else
                                        self.budget.elapsed())

    def _ensemble_reserve(self, once: float, members) -> float:
        """``once`` (the single choice's refit) and the excess over it of the parallel
        refit of ``members`` beside ensemble selection, within its share of the budget."""
        refits = parallel_seconds([self._refit_estimate(r) for r in members],
                                  self._member_workers())
        ensemble = refits / (1.0 - ENSEMBLE_SELECTION_SHARE)
        return once + min(max(ensemble - once, 0.0), ENSEMBLE_RESERVE_SHARE * self.budget.total)

    def _confirmed_reserve(self, results) -> float | None:
        """The reserve for the choice the rule makes from ``results`` now: its single
        choice's refit and, for an ensemble, its members' (:meth:`_ensemble_reserve`).
        Made again only when trials were added and the last one took at most
        :data:`CONFIRM_LOOP_SHARE` of the time since; None when no choice was made in
        the time it is given, or the dummy beats every trial."""
        now = time.monotonic()
        if self._confirmed is not None:
            seen, held, made_at, took = self._confirmed
            if seen == len(results) or took > CONFIRM_LOOP_SHARE * (now - made_at):
                return held
        deadline = now + min(CONFIRM_SECONDS, CONFIRM_SHARE * max(self.budget.remaining(), 0.0))
        choice = choose_final(results, self.y, self.splits, self.metric, self.task,
                              rule=self.rule, ensemble_size=self.ensemble_size,
                              deadline=deadline)
        done = time.monotonic()
        held = None
        if choice is not None and done <= deadline:  # a choice cut short says nothing
            once = self._refit_estimate(choice.single)
            held = (self._ensemble_reserve(once, choice.trials) if choice.is_ensemble
                    else once)
        self._confirmed = (len(results), held, done, done - now)
        return held

    def refit_early(self, history, evaluator, build) -> None:
        """Start the best trial's refit on all rows now, in a worker the search leaves
        free: called once the search time is up while the strong default's trial
        still runs (it is waited for, :class:`~.search_loop.SearchLoop`). The refit
        is started when it is expected to end within the time left; :meth:`finish`
        keeps it when the final choice holds that trial, or when the fit falls back
        on that trial (the choice's refit cannot finish and its model is not held:
        :meth:`_refit`), and stops it before any other refit.
        Before, the time held back for that refit went to waiting for the default:
        measured at 8a29443 (letter, 10 s, seed 1), extra trees scored 0.9626 on
        validation at 5.4 s, the default's trial ended at 9.5 s (0.9511), and the fit
        ended on random forest's model as fitted during search (test 0.9486 where a
        default HistGradientBoosting scores 0.9626). Not on large data (the search ran
        on a sample of the rows, :meth:`_partial_refit_possible`): a refit on all rows
        beside other work was the fit's memory peak there (:meth:`_member_workers`).
        ``build``: configuration -> unfitted pipeline."""
        if self._early is not None or self._partial_refit_possible():
            return
        best = next(iter(self._above_dummy(history)), None)
        # started where the search held back time for it (reserve)
        if best is None or self._refit_estimate(best) > self._left_when_ended(best):
            return
        left = self.budget.remaining()
        # The default's trial holds one of the workers' cores.
        threads = max(1, self._threads(history)[1] - 1)
        self.reporter.phase("refitting trial %d on all %d rows while the strong default's "
                            "trial ends (%.1fs left)", best.trial_id, self.all_rows, left)
        self._early = (best, evaluator.start_refit(
            self._refit_pipeline(build, best), left, n_threads=threads,
            training_seconds=self._training_seconds(best)))

    def _threads(self, history) -> tuple:
        """(cores the search's workers had, threads of a refit in a worker):
        :func:`cores_had` and :func:`refit_threads` of ``history``'s trials."""
        cores = cores_had(history.results, self.n_workers)
        return cores, refit_threads(cores, self.n_threads)

    def _early_for(self, trial) -> bool:
        """Whether the refit started early (:meth:`refit_early`) is ``trial``'s."""
        return self._early is not None and self._early[0].trial_id == trial.trial_id

    def _early_model(self, evaluator):
        """The early refit's model, waited for within the time left, when it learned
        what its trial's fold models did; else None (says why)."""
        trial, handle = self._early
        self._early = None
        refit = evaluator.refit_outcome(handle, self.budget.remaining())
        if refit.model is None:
            self.reporter.phase("refit of trial %d failed: %s", trial.trial_id, refit.error)
            return None
        return refit.model if self._holds(trial, refit) else None

    def _collect_early(self, choice, evaluator, done) -> None:
        """Put the early refit's model into ``done`` when ``choice`` holds its trial.
        Otherwise it is kept running: it serves if the fit falls back on its trial
        (:meth:`_refit`), and any other refit stops it first."""
        if choice is not None and any(self._early_for(t) for t in choice.trials):
            trial = self._early[0]
            if (model := self._early_model(evaluator)) is not None:
                done[trial.trial_id] = model

    def _stop_early(self, evaluator) -> None:
        """Stop the early refit, if any, to free its worker for another refit."""
        if self._early is not None:
            evaluator.stop_refit(self._early[1])
            self._early = None

    def finish(self, history, evaluator, build, fallback) -> Final:
        """The rule's choice refit: its ensemble if it can be refit, else its single
        trial (or the next best that can be refit), else a model fitted during
        search, else ``fallback`` (the dummy).

        ``build``: configuration -> unfitted pipeline.
        """
        deadline = time.monotonic() + self.budget.remaining() * ENSEMBLE_SELECTION_SHARE
        choice = choose_final(history.results, self.y, self.splits, self.metric, self.task,
                              rule=self.rule, ensemble_size=self.ensemble_size,
                              deadline=deadline)
        if choice is not None:
            self.reporter.phase("final model: %s", choice.reason)
        cores, threads = self._threads(history)
        if threads < self.n_threads:
            self.reporter.phase("refits on %d thread(s), not %d: the search's trials had "
                                "%.1f cores in all while fitting (other work held the rest)",
                                threads, self.n_threads, cores)
        final, done = None, {}
        self._collect_early(choice, evaluator, done)
        if choice is not None and choice.is_ensemble:
            final = self._ensemble(choice, evaluator, build, done, threads)
        if final is None:
            final = self._refit(history, evaluator, build, fallback, threads,
                                first=None if choice is None else choice.single, done=done)
        self._stop_early(evaluator)
        if final.chosen.origin == "dummy":
            self._warn_if_limits_excluded(history)
            self._warn_if_out_of_memory(history)
            self._warn_if_nothing_scored(history)
        return final

    def _warn_if_nothing_scored(self, history):
        """Warn when the fit ends on the dummy because every trial failed (other than
        by memory, :meth:`_warn_if_out_of_memory`) or the metric gave every one NaN
        on validation folds of two rows or more."""
        trials = [r for r in history.results
                  if r.origin != "dummy" and r.status != Status.CANCELLED]
        if not trials or any(r.status in (Status.MEMOUT, Status.INFEASIBLE) for r in trials):
            return
        scored = [r for r in trials if r.ok]
        if not scored:
            errors = Counter(r.error or str(r.status) for r in trials)
            error, count = errors.most_common(1)[0]
            warn(f"The final model is the dummy fallback: all {len(trials)} trial(s) "
                 f"failed; the most common error ({count} of them): {error}. "
                 "leaderboard_['error'] holds each trial's error; verbose=3 logs "
                 "their tracebacks.", UserWarning)
        elif all(math.isnan(r.score) for r in scored) \
                and min(len(valid) for _, valid in self.splits) >= 2:
            # (a one-row fold's R² is undefined: tiny data, not the metric, says NaN)
            warn(f"The final model is the dummy fallback: the metric "
                 f"{self.metric.name!r} scored all {len(scored)} trial(s) NaN, so "
                 "none could be compared with another. Use a metric that returns a "
                 "number for these predictions.", UserWarning)

    def _warn_if_out_of_memory(self, history):
        """Warn when the fit ends on the dummy and no trial scored but some ran out of memory."""
        trials = [r for r in history.results if r.origin != "dummy"]
        memouts = [r for r in trials if r.status == Status.MEMOUT]
        if not memouts or any(r.status in (Status.OK, Status.INFEASIBLE) for r in trials):
            return
        warn(f"The final model is the dummy fallback: {len(memouts)} of {len(trials)} "
             f"trial(s) ran out of memory under memory_limit={self.memory_limit} MB "
             f"(e.g. {memouts[0].error}) and none scored. Raise memory_limit, or set "
             "it to None for no limit.", UserWarning)

    def _warn_if_limits_excluded(self, history):
        """Warn when the fit ends on the dummy and the limits excluded trials that beat
        it, or networks that stopped before training (no score) for being over one."""
        dummy = history.results[0]
        infeasible = [r for r in history.results if r.status == Status.INFEASIBLE]
        excluded = [r for r in infeasible if r.fidelity >= 1.0 and r.score > dummy.score]
        untrained = [r for r in infeasible if math.isnan(r.score)]
        if not excluded and not untrained:
            return
        by_limit = {}
        for result in excluded + untrained:
            for name in self.limits.violations(result.info):
                by_limit.setdefault(name, []).append(result)
        closest = {"max_parameters": lambda rs: f"the smallest has "
                   f"{min(r.info['n_parameters'] for r in rs)} parameters",
                   "max_predict_latency": lambda rs: f"the fastest takes "
                   f"{min(r.info['predict_seconds_per_row'] for r in rs):.3g}s per row"}
        limits = {"max_parameters": self.limits.max_parameters,
                  "max_predict_latency": self.limits.max_predict_latency}
        texts = [f"{name}={limits[name]:g} excluded {len(rs)} ({closest[name](rs)})"
                 for name, rs in by_limit.items()]
        found = ([f"{len(excluded)} trial(s) beat it but were over a limit"] if excluded else []) \
            + ([f"{len(untrained)} network(s) were over a limit before training"]
               if untrained else [])
        warn(f"The final model is the dummy fallback: {' and '.join(found)}: "
             f"{'; '.join(texts)}. Raise the limit, or give the search more time or "
             "models that fit it.", UserWarning)

    def _training_seconds(self, trial: TrialResult, share: float = 1.0) -> float:
        """How long a network in ``trial``'s refit on ``share`` of all rows may train:
        its trial's fit time scaled to those rows (:class:`~.trial.TrialTask`'s
        ``training_seconds``; other models ignore it). A network's trial trains
        within its time limit (``runners.task.TRAINING_TIME_SHARE``); unbounded,
        its refit may run every epoch that limit had cut, on more rows, past the
        estimate the search held back for it. Seen at 5fffbfd (networks only,
        MNIST-1D, 300 s): the last trial ended at 122 s, then random search's fit
        ended at 201 s on the refit, SMAC's at 300 s on the search-time model."""
        return trial.fit_seconds * row_scale(self.train_rows, share * self.all_rows)

    def _refit_pipeline(self, build, trial: TrialResult, share: float = 1.0):
        """``trial``'s pipeline, unfitted, for a refit on ``share`` of all rows: its
        bounds on work that grows with the rows scaled to them
        (:func:`~.pipelines.components.scale_size_bounds`), so that the refit makes
        the choices the trial was scored with (an RBF kernel machine exact in the
        search stays exact, rather than turning into its approximation)."""
        return scale_size_bounds(build(trial.config), self.train_rows,
                                 share * self.all_rows)

    def _refit_estimate(self, trial: TrialResult, rows: float | None = None) -> float:
        """Expected seconds of ``trial``'s refit on ``rows`` rows (default: all)."""
        return estimate_refit_seconds(trial.fit_seconds, self.train_rows,
                                      self.all_rows if rows is None else rows,
                                      time_bounded=trial.time_bounded)

    def _partial_refit_possible(self) -> bool:
        """Whether all rows are enough more than a trial's training rows for a refit on
        part of them to learn from :data:`PARTIAL_REFIT_MIN_GAIN` times as many."""
        return self.all_rows >= PARTIAL_REFIT_MIN_GAIN * self.train_rows

    def _member_workers(self) -> int:
        """How many ensemble members are refit at once: ``n_workers``, or one on large
        data (:meth:`_partial_refit_possible`: the search ran on a sample of the
        rows), each with all threads.

        Every member's refit holds its own encoding of all rows, while the
        search's trials saw the sample: refits side by side were the fit's memory
        peak. Measured on a million rows at 300 s (``memory_profile.py``, bce2483):
        four linear-SVM members refit two at a time lifted the workers from 1.5 to
        4.0 GB RSS and the tree to 4254 MB PSS, over the 3000 MB bound the search
        itself kept (docs/reliability.md). The cost: members that use one thread
        (liblinear) take n_jobs times longer in a row, and the reserve is their sum.
        """
        return 1 if self._partial_refit_possible() else self.n_workers

    def _least_partial_seconds(self, trial: TrialResult) -> float:
        """Expected seconds of the smallest partial refit worth it: on
        :data:`PARTIAL_REFIT_MIN_GAIN` times ``trial``'s training rows."""
        return self._refit_estimate(trial, PARTIAL_REFIT_MIN_GAIN * self.train_rows)

    def _partial_share(self, trial: TrialResult, left: float) -> float | None:
        """The share of all rows ``trial`` can be refit on in ``left`` seconds, when it
        is below 1 and yet :data:`PARTIAL_REFIT_MIN_GAIN` times its training rows or
        more; else None."""
        full = self._refit_estimate(trial) - REFIT_OVERHEAD
        share = (left - REFIT_OVERHEAD) / full if full > 0 else 1.0
        if share >= 1.0 or share * self.all_rows < PARTIAL_REFIT_MIN_GAIN * self.train_rows:
            return None
        return share

    def _refit(self, history, evaluator, build, fallback, threads, first=None,
               done=None) -> Final:
        """Refit ``first`` (the rule's single choice; default: the best trial) on all
        rows within the budget, else the best that can be.

        Candidates are ``first``, then the best few trials the dummy does not
        beat (:meth:`_above_dummy`), best first; the first whose refit is
        expected to finish in the remaining time is refit; on large data, where
        all rows are many times a trial's training rows, one whose refit on all
        rows is not expected in time is refit on as many of them as the time
        allows (:meth:`_partial_share`). A candidate
        whose refit is not expected in time but whose model fitted during search is
        held ends the list: that model serves rather
        than a weaker trial's refit (measured on soybean at 10 s: the strong
        default's refit did not fit, naive Bayes was refit instead, test accuracy
        0.918 where the default's own scores 0.953). When no candidate is expected
        in time and none is held, the first is tried anyway (nothing is lost by
        trying). A refit that learned less than the trial's fold models
        (:meth:`_holds`) is not used: the trial's model as fitted during search
        serves when it was kept, else the next candidate is refit.
        When no refit finishes, the best model fitted during search serves, else
        the dummy. ``done``: trial id -> a model already refit on all rows (an
        ensemble's member, when the ensemble was not kept, or one started early:
        :meth:`refit_early`) that serves as is.
        ``threads``: of a refit in a worker (:func:`refit_threads`).
        """
        done = done or {}
        better = self._above_dummy(history)
        if first is not None and first.origin != "dummy":
            better = [first] + [r for r in better if r.trial_id != first.trial_id]
        left = self.budget.remaining()
        tried, held = [], None  # tried: (trial, share of the rows)
        for result in better[:REFIT_CANDIDATES]:
            if (result.trial_id in done or self._early_for(result)
                    or self._refit_estimate(result) <= left
                    or self._refit_here(result, evaluator, left)):
                tried.append((result, 1.0))
            elif (share := self._partial_share(result, left)) is not None:
                tried.append((result, share))
            elif result.model is not None:
                held = result  # its search-time model outranks a weaker trial's refit
                break
        if better and not tried and held is None:
            tried = [(better[0], 1.0)]
        for result, share in tried:
            if result.trial_id in done:
                self.reporter.phase("keeping trial %d's refit on all rows (an ensemble "
                                    "member's, or started early)", result.trial_id)
                return Final(done[result.trial_id], result)
            if self._early_for(result):
                if (model := self._early_model(evaluator)) is not None:
                    self.reporter.phase("keeping trial %d's refit on all rows, started "
                                        "while the strong default's trial ran",
                                        result.trial_id)
                    return Final(model, result)
                if result.model is not None:
                    return self._search_time(result)
                continue
            self._stop_early(evaluator)
            left = self.budget.remaining()
            if left < MIN_TRIAL_SECONDS:
                break
            if share < 1.0:  # the time left since the estimate: as many rows as still fit
                share = self._partial_share(result, left) or share
            here = share == 1.0 and self._refit_here(result, evaluator, left)
            self.reporter.phase("refitting trial %d on %s %d rows (%.1fs left)%s",
                                result.trial_id, "all" if share == 1.0 else
                                f"{share:.0%} of the", self.all_rows, left,
                                " in this process: the workers are not up yet" if here else "")
            try:
                training = self._training_seconds(result, share)
                pipeline = self._refit_pipeline(build, result, share)
                refit = (evaluator.refit_here(pipeline, training_seconds=training)
                         if here else
                         evaluator.refit(pipeline, timeout=left,
                                         n_threads=threads, fidelity=share,
                                         training_seconds=training))
            except RuntimeError as exc:
                self.reporter.phase("refit of trial %d failed: %s", result.trial_id, exc)
                continue
            if self._holds(result, refit):
                return Final(refit.model, result, rows_share=share)
            if result.model is not None:
                return self._search_time(result)
        if held is not None:
            self.reporter.phase("keeping trial %d's model as fitted during search: its refit "
                                "is not expected to finish in the %.1fs left",
                                held.trial_id, self.budget.remaining())
            return Final(held.model, held)
        # No refit finished: the best model fitted during search, else the dummy.
        return self.keep(history, fallback)

    def _refit_here(self, trial: TrialResult, evaluator, left: float) -> bool:
        """Whether to refit ``trial`` in this process: the workers are not up yet (a
        fit of a second or two, in a fresh process) and the refit is expected to
        end in the time left and within :data:`~.plan.INLINE_MAX_SECONDS` (the
        trial's own fits scaled to all rows, with
        :data:`~.budget.REFIT_SAFETY`). A trial run here is given only
        :data:`~.plan.INLINE_SHARE` of the time left, as its estimate reads no
        fit; this one reads the trial's. Before, the refit had that share too:
        measured at 5e1e575 (abalone, 1 s, seed 0), the default's trial ended at
        0.45 s, its refit here (0.48 s expected with the safety factor) was not
        started, and the fit returned at 0.71 s on the model fitted on two thirds
        of the rows (test R² 0.521; a default HistGradientBoosting fitted on all
        of them scores 0.539)."""
        return (self._here_estimate(trial) <= min(left, INLINE_MAX_SECONDS)
                and not evaluator.ready(0.0))

    def _here_estimate(self, trial: TrialResult) -> float:
        """Expected seconds of ``trial``'s refit on all rows in this process (no
        worker to start or answer: no overhead)."""
        return estimate_refit_seconds(trial.fit_seconds, self.train_rows, self.all_rows,
                                      overhead=0.0, time_bounded=trial.time_bounded)

    def _holds(self, trial: TrialResult, refit) -> bool:
        """Whether ``refit`` (an :class:`~.evaluation.Refit` of ``trial``) learned at
        least what the trial's fold models did (:func:`~.selection.refit_holds`);
        says so when it did not."""
        holds, score = refit_holds(trial, refit.predictions, self.y, self.splits,
                                   self.metric, self.task)
        if not holds:
            self.reporter.phase(
                "refit of trial %d rejected: on the validation rows, which it was trained "
                "on, it scores %.4f, below the %.4f its fold models scored on them unseen "
                "(the fit on all rows failed, e.g. a boosting that diverged)",
                trial.trial_id, score, trial.score)
        return holds

    def _above_dummy(self, history) -> list:
        """The ranked trials the finishing step may refit or keep: those the dummy
        (trial 0) does not beat, within the noise under the one-SE rules
        (:func:`.selection.above_dummy`), as the final choice reads them."""
        return above_dummy(history.results, self.y, self.splits, self.metric, self.task,
                           noise_bar(self.rule))

    def keep(self, history, fallback) -> Final:
        """The model a fit ends with when nothing is refit: the best trial's model as
        fitted during search, among those the dummy does not beat, else ``fallback``.

        Also what an interrupted finishing step ends with (a second Ctrl-C): it
        takes no time, and no worker.
        """
        for result in self._above_dummy(history):
            if result.model is not None:
                return self._search_time(result)
        return Final(fallback, history.results[0])

    def _search_time(self, trial: TrialResult) -> Final:
        """``trial``'s model as fitted during search, as the final model (says so)."""
        self.reporter.phase("keeping trial %d's model as fitted during search",
                            trial.trial_id)
        return Final(trial.model, trial)

    def _ensemble(self, selection, evaluator, build, done, threads) -> Final | None:
        """Refit the members of the chosen ensemble (a :class:`~.selection.Choice`),
        or None for one model; ``done`` (trial id -> model refit on all rows) gets
        each member refit that holds, for the single choice to use when the ensemble
        is not kept; a member in it already (:meth:`refit_early`) is not refit again.

        None when its refit is not expected to finish in time. Members are refit
        in parallel, longest first (one at a time on large data, the single choice
        first: :meth:`_member_workers`). When not all can be refit in time or
        within the limits, a subset that can is (the members of most weight, or
        those left once the longest refits are dropped: the one of the two that
        scores higher on validation), and when some do not finish the others are
        kept, in either case only when their blend still beats the rule's single
        choice on validation. ``threads``: in all, shared by
        the members refit at once (:func:`refit_threads`).
        """
        best = selection.single

        def subset_score(members, weights):
            if len(members) == len(selection.trials):
                return selection.score
            return fold_score(self.metric, self.task, self.y, self.splits, blend(
                [t.predictions.values for t in members], weights, self.task))

        # While the workers are not up (trials ran in this process as they started),
        # the members are refit here, one at a time, as a single choice's short refit
        # is (:meth:`_refit_here`): waiting for the workers would take the time left.
        here = not evaluator.ready(0.0)
        estimate = self._here_estimate if here else self._refit_estimate
        # A member refit already (started early, :meth:`refit_early`) costs nothing.
        estimates = [0.0 if t.trial_id in done else estimate(t) for t in selection.trials]
        left = self.budget.remaining()
        deadline = time.monotonic() + left
        workers = 1 if here else self._member_workers()
        within = min(left, INLINE_MAX_SECONDS) if here else left

        def fits(kept):
            return (parallel_seconds([estimates[i] for i in kept], workers) <= within
                    and not self.limits.violations(
                        Limits.combined(selection.trials[i].info for i in kept)))

        # Two subsets whose parallel refit is expected to end in time and that keep
        # to the limits: the members of most weight (the choice's order), and the
        # members left once the longest refits are dropped; the one that scores
        # higher on validation is refit (a subset both give is scored once).
        # Measured on bank-marketing at 30 s: an ensemble of 8 (validation 0.9117
        # against the single choice's 0.9069) had an extra trees refit of 8.3 s
        # second in weight, so no set of its heaviest members could be refit in the
        # 6.1 s left, while the five whose refits were 0.9-3 s could.
        subsets = []
        for order in (range(len(estimates)),
                      sorted(range(len(estimates)), key=lambda i: (estimates[i], i))):
            kept = list(order)
            while len(kept) >= 2 and not fits(kept):
                kept.pop()
            kept.sort()
            if len(kept) >= 2 and all(kept != other for _, _, other in subsets):
                score = subset_score([selection.trials[i] for i in kept],
                                     np.asarray(selection.weights)[kept])
                subsets.append((score, -len(subsets), kept))
        score, _, kept = max(subsets, key=lambda s: s[:2], default=(-np.inf, 0, []))
        trials = [selection.trials[i] for i in kept]
        weights = np.asarray(selection.weights)[kept]
        estimates = [estimates[i] for i in kept]
        size = len(trials)
        if score <= best.score:
            self.reporter.phase("ensemble of %d (validation %.4f) not refit: no subset that "
                                "beats the single choice (%.4f) can be refit in %.1fs%s",
                                len(selection.trials), selection.score, best.score, left,
                                " within the limits" if self.limits else "")
            return None
        parallel = min(size, workers)
        self.reporter.phase("refitting an ensemble of %d trials on all %d rows, %d at a time%s "
                            "(validation %.4f vs single choice %.4f)", size, self.all_rows,
                            parallel, " in this process: the workers are not up yet"
                            if here else "", score, best.score)
        # unfitted: refit in workers, then named
        pipelines = [self._refit_pipeline(build, t) for t in trials]
        todo = [i for i in range(size) if trials[i].trial_id not in done]
        if parallel > 1:  # the longest first, as parallel_seconds expects: workers take turns
            order = sorted(todo, key=lambda i: -estimates[i])
        else:  # the single choice first (its refit serves if the ensemble is not kept)
            order = sorted(todo, key=lambda i: (trials[i] is not best, i))
        self._stop_early(evaluator)  # not a member (one is collected into done)
        refits = _refit_members(evaluator, [pipelines[i] for i in order], parallel, deadline,
                                n_threads=max(1, threads // parallel),
                                training_seconds=[self._training_seconds(trials[i])
                                                  for i in order], here=here)
        done.update((trials[i].trial_id, refit.model) for i, refit in zip(order, refits)
                    if refit.model is not None and self._holds(trials[i], refit))
        kept = [(t, w, done[t.trial_id], pipeline)
                for t, w, pipeline in zip(trials, weights, pipelines) if t.trial_id in done]
        if len(kept) < len(trials):
            self.reporter.phase("%d of %d ensemble members not refit in time or rejected",
                                len(trials) - len(kept), len(trials))
            if len(kept) < 2:
                return None
            score = subset_score([t for t, *_ in kept], [w for _, w, *_ in kept])
            if score <= best.score:
                return None
        members = [(f"trial_{t.trial_id}", pipeline) for t, _, _, pipeline in kept]
        weights = [float(w) for _, w, *_ in kept]
        models = [model for _, _, model, _ in kept]
        if self.n_classes is not None:
            ensemble = EnsembleClassifier.from_fitted(members, models, weights,
                                                      classes=np.arange(self.n_classes))
        else:
            ensemble = EnsembleRegressor.from_fitted(members, models, weights)
        top = max(kept, key=lambda k: (k[0].score, -k[0].trial_id))
        return Final(ensemble, top[0], score=score,
                     members=tuple(zip((t.trial_id for t, *_ in kept), ensemble.weights_)),
                     best_model=top[2])


def _refit_members(evaluator, pipelines, parallel: int, deadline: float, n_threads: int,
                   training_seconds, here: bool = False):
    """Refits of ``pipelines`` on all rows (:meth:`.Evaluator.refit_many`, each with
    its ``training_seconds``), in order: all at once through the workers' queue when
    ``parallel`` is more than one, else one after another, each within what is left
    of ``deadline`` (a :func:`time.monotonic` time), in this process when ``here``
    (:meth:`.Evaluator.refit_here`, one thread); one not started for lack of time,
    or failed here, is a failed :class:`~.evaluation.Refit`."""
    if parallel > 1:
        return evaluator.refit_many(pipelines, timeout=deadline - time.monotonic(),
                                    n_threads=n_threads, training_seconds=training_seconds)
    refits = []
    for pipeline, training in zip(pipelines, training_seconds):
        left = deadline - time.monotonic()
        if left <= MIN_TRIAL_SECONDS:
            refits.append(Refit(None, error=f"not started: {max(left, 0.0):.1f}s left"))
        elif here:
            try:
                refits.append(evaluator.refit_here(pipeline, training_seconds=training))
            except RuntimeError as exc:
                refits.append(Refit(None, error=str(exc)))
        else:
            refits += evaluator.refit_many([pipeline], timeout=left, n_threads=n_threads,
                                           training_seconds=[training])
    return refits
