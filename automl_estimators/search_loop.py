"""The search loop: candidates from a strategy, trials in workers, results into history.

It owns what strategies must not: the clock (stopping early enough to leave the
refit its reserve), ``n_jobs`` trials at once, per-trial time limits, duplicate
detection and the trial budget. Warm-start candidates (the strong default first)
are evaluated before the strategy is asked. A strategy that proposes a
configuration already tried (e.g. SMAC proposing a warm-start default) is told
the result that trial had, or will have, instead of running it twice.
"""

from __future__ import annotations

import logging
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout

from .budget import MIN_TRIAL_SECONDS, estimate_refit_seconds
from .evaluation import CANCELLED, TrialResult, WorkersUnavailable

logger = logging.getLogger(__name__)

# How often the loop wakes to update progress and check the clock (seconds).
POLL_SECONDS = 0.5
# Consecutive duplicate proposals after which the space is taken as exhausted.
MAX_DUPLICATES = 50
# A strategy is asked only when the search time left covers this multiple of its
# last ask's duration: SMAC's ask (surrogate fit + acquisition search) takes up
# to seconds late in a fit, and the clock does not stop while it thinks.
ASK_SAFETY = 1.5
# The reserve for an ensemble's refit beyond one refit of the best trial takes at
# most this share of the budget. Three full waves left 10 s fits on 6k rows (HGB
# at 0.6 s a trial) searching for 3.5 s and refitting for 1 s; a smaller reserve
# only shrinks the ensemble to the members refit in time.
ENSEMBLE_RESERVE_SHARE = 0.15


class _DeadlineAsker:
    """Asks the strategy in a helper thread, so that a slow ask cannot hold the
    loop past its deadline; after an ask overran, the strategy is left alone
    (it is not thread-safe, and the search is over anyway). A strategy that
    raises is left alone too, with a warning: the trials already run, the
    fallback and the refit still make the fit's model."""

    def __init__(self, strategy):
        self.strategy = strategy
        self.stopped = False
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="automl-ask")

    def ask(self, timeout):
        """One candidate list from the strategy, or None when it did not answer in time."""
        if self.stopped:
            return None
        future = self._thread.submit(self.strategy.ask, 1)
        try:
            return future.result(timeout=max(timeout, 0.01))
        except FutureTimeout:
            self.stopped = True
            logger.warning("the %s strategy did not propose within the search time left "
                           "(%.1fs); search stopped", self.strategy.name, timeout)
            return None
        except Exception as exc:  # noqa: BLE001 - a strategy's bug must not lose the fit
            self._failed("propose", exc)
            return None

    def tell(self, candidate, result):
        if self.stopped:
            return
        try:
            self.strategy.tell(candidate, result)
        except Exception as exc:  # noqa: BLE001 - as in ask
            self._failed(f"learn from trial {result.trial_id}", exc)

    def _failed(self, what, exc):
        self.stopped = True
        warnings.warn(f"the {self.strategy.name} strategy failed to {what} "
                      f"({type(exc).__name__}: {exc}); search stopped, the trials run so far "
                      "make the model", RuntimeWarning, stacklevel=3)

    def close(self):
        self._thread.shutdown(wait=False)


def run_search(*, strategy, warm_start, evaluator, history, budget, reporter, build,
               describe, n_workers, max_trials=None, per_trial_time_limit=None,
               n_rows_total, n_rows_train, seed=0, return_models=False, refit_waves=1):
    """Run trials until the budget (minus the refit reserve) or ``max_trials`` is spent.

    Parameters
    ----------
    strategy : SearchStrategy
    warm_start : list of Candidate
        Evaluated first, in order; the first is the strong default, whose fitted
        model is kept as a fallback and whose time limit is the whole search time.
    build : callable
        (configuration, fidelity) -> (unfitted pipeline, share of training rows).
    describe : callable
        Configuration -> short text for logs.
    n_rows_total, n_rows_train : int
        Rows of the final refit and of one trial's fit, to size the refit reserve.
    return_models : bool
        Whether every full-fidelity trial sends its fitted model back (the first
        always does, and every one while no model that beats the dummy is held);
        the history keeps the best one's.
    refit_waves : int
        Refits of the best trial's size kept in reserve (more than one when an
        ensemble's members will be refit). The waves after the first take at most
        :data:`ENSEMBLE_RESERVE_SHARE` of the budget: the best trial's own refit is
        always covered, an ensemble may shrink to the members refit in time.
    """
    asker = _DeadlineAsker(strategy)
    try:
        _loop(asker, warm_start, evaluator, history, budget, reporter, build, describe,
              n_workers, max_trials, per_trial_time_limit, n_rows_total, n_rows_train, seed,
              return_models, refit_waves)
    finally:
        asker.close()


def _loop(asker, warm_start, evaluator, history, budget, reporter, build, describe, n_workers,
          max_trials, per_trial_time_limit, n_rows_total, n_rows_train, seed, return_models,
          refit_waves):
    queue = list(warm_start)
    pending = {}
    overtime = False  # the search time is up, the first trial still runs
    ask_seconds = 0.0  # duration of the strategy's last ask
    waiting = {}  # key of a running trial -> repeated proposals to tell its result
    started = 0
    exhausted = False

    def reserve():
        best = history.best()
        if best is None or best.origin == "dummy":
            return 0.0
        # Stop a little before the estimate: cancelling and collecting take time too.
        once = estimate_refit_seconds(best.fit_seconds, n_rows_train, n_rows_total)
        more = min(once * (refit_waves - 1), ENSEMBLE_RESERVE_SHARE * budget.total)
        return once + more + POLL_SECONDS

    def next_candidate():
        nonlocal exhausted, ask_seconds
        duplicates = 0
        while True:
            if queue:
                candidate = queue.pop(0)
            elif exhausted:
                return None
            else:
                if budget.search_remaining(reserve()) < MIN_TRIAL_SECONDS + ask_seconds * ASK_SAFETY:
                    return None  # no time to think and run: wait for pending trials
                started_ask = time.monotonic()
                asked = asker.ask(budget.search_remaining(reserve()))
                ask_seconds = time.monotonic() - started_ask
                if not asked:
                    exhausted = True
                    return None
                candidate = asked[0]
            if not history.seen(candidate.config, candidate.fidelity):
                return candidate
            known = history.finished(candidate.config, candidate.fidelity)
            if known is not None:
                asker.tell(candidate, known)
            else:
                waiting.setdefault(candidate.key, []).append(candidate)
            duplicates += 1
            if duplicates >= MAX_DUPLICATES:
                exhausted = True
                return None

    while True:
        search_left = budget.search_remaining(reserve())
        can_start = (max_trials is None or started < max_trials) and not exhausted
        while can_start and len(pending) < n_workers and search_left >= MIN_TRIAL_SECONDS:
            candidate = next_candidate()
            search_left = budget.search_remaining(reserve())  # asking took time
            if candidate is None or search_left < MIN_TRIAL_SECONDS:
                break
            first = started == 0
            limit = search_left if first or per_trial_time_limit is None \
                else min(per_trial_time_limit, search_left)
            history.mark(candidate.config, candidate.fidelity)
            pipeline, row_share = build(candidate.config, candidate.fidelity)
            try:
                # A fitted model comes back from the first trial, from every trial on
                # small data, and from any trial while no model that beats the dummy
                # is held: the refit may not finish, and then that model serves.
                full = candidate.fidelity >= 1.0
                future = evaluator.submit(
                    pipeline, limit, fidelity=row_share, seed=seed + started,
                    return_model=first or (full and (return_models
                                                     or not history.has_fallback_model())))
            except WorkersUnavailable as exc:
                warnings.warn(str(exc), RuntimeWarning, stacklevel=2)
                logger.error("search stopped: %s", exc)
                exhausted = True
                break
            pending[future] = (started + 1, candidate, budget.elapsed(), time.monotonic())
            started += 1
            can_start = max_trials is None or started < max_trials
        if not pending:
            break
        # Past the search time, only the first trial is waited for: no deadline to wake at.
        done, _ = wait(list(pending), timeout=POLL_SECONDS if overtime and search_left <= 0
                       else max(min(POLL_SECONDS, search_left), 0.01),
                       return_when=FIRST_COMPLETED)
        for future in done:
            _record(future, pending.pop(future), evaluator, history, asker, reporter, describe,
                    waiting)
        if budget.search_remaining(reserve()) < 0 and pending:
            # The search time is up. The first trial (the strong default) still
            # running is waited for, within its own limit: a fit must not end below
            # it, and the refit of a weaker best it would cancel need not happen (the
            # first trial's fitted model comes back). Measured on digits (random
            # search of networks, 120 s): a weak network's refit reserve cancelled
            # the default network, and the fit ended at test accuracy 0.124.
            # Trial ids count from 1 in start order (0 is the dummy fallback).
            default_trial = {f: entry for f, entry in pending.items() if entry[0] == 1}
            _cancel({f: e for f, e in pending.items() if f not in default_trial}, history,
                    reporter, describe)
            pending, overtime = default_trial, True
            if not default_trial or budget.remaining() < MIN_TRIAL_SECONDS:
                break
        reporter.tick()

    _cancel(pending, history, reporter, describe)


def _cancel(pending, history, reporter, describe):
    """Cancel the pending trials and record them as cancelled."""
    for future, (trial_id, candidate, started_at, _) in pending.items():
        future.cancel()
        result = TrialResult(trial_id=trial_id, config=candidate.config, origin=candidate.origin,
                             fidelity=candidate.fidelity, status=CANCELLED,
                             started_at=started_at,
                             error="stopped at the end of the search time")
        history.add(result)
        reporter.trial(result, describe(candidate.config))


def _record(future, entry, evaluator, history, asker, reporter, describe, waiting):
    trial_id, candidate, started_at, submitted = entry
    result = evaluator.collect(future, trial_id=trial_id, config=candidate.config,
                               origin=candidate.origin, fidelity=candidate.fidelity,
                               started_at=started_at, submitted=submitted)
    history.add(result)
    asker.tell(candidate, result)
    for repeated in waiting.pop(candidate.key, ()):
        asker.tell(repeated, result)
    reporter.trial(result, describe(candidate.config))
