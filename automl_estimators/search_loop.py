"""The search loop: candidates from a strategy, trials in workers, results into history.

It owns what strategies must not: the clock (stopping early enough to leave the
finishing step the reserve it asks for, :meth:`.finish.Finisher.reserve`),
``n_jobs`` trials at once, per-trial time limits, duplicate detection and the
trial budget. As scikit-learn's ``BaseSearchCV`` owns its loop while a
subclass only says what to try, :class:`SearchLoop` owns the loop while a
strategy only proposes (``ask``) and learns (``tell``). Warm-start candidates (the
strong default first) are evaluated before the strategy is asked. A strategy that proposes a
configuration already tried (e.g. SMAC proposing a warm-start default) is told
the result that trial had, or will have, instead of running it twice.
"""

from __future__ import annotations

import logging
import math
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

import numpy as np

from .budget import MIN_TRIAL_SECONDS
from .interrupts import Interrupts
from .metalearning.warm_start import SHORT_DEFAULT_ORIGIN
from .plan import default_late, inline_deadline, inline_limit, workers_late
from .runners import WorkersUnavailable, trains_within_time
from .selection import strong_default
from .spaces import MODEL
from .trial import FOLDS_DONE, Limits, PendingTrial, Status, TrialResult
from .user_warnings import warn

logger = logging.getLogger(__name__)

# How often the loop wakes to update progress and check the clock (seconds).
POLL_SECONDS = 0.5
# Consecutive duplicate proposals after which the space is taken as exhausted.
MAX_DUPLICATES = 50
# A strategy is asked only when the search time left covers this multiple of its
# last ask's duration: SMAC's ask (surrogate fit + acquisition search) takes up
# to seconds late in a fit, and the clock does not stop while it thinks.
ASK_SAFETY = 1.5
# A trial of a model that trains within a time bound (a network,
# ``TrialResult.time_bounded``) is not started with less search time left than this
# share of the median duration of that model's trials that ended at the same
# fidelity (each counted at most the per-trial limit, all a new trial may get): it
# would train a fraction of what they did, score near chance and teach the
# strategy that its architecture is bad. Measured at 5fffbfd (networks only,
# 300 s): the controller's mean reward per round fell in every run, its last
# rounds made of networks started with seconds left.
LATE_START_SHARE = 0.5
# Consecutive proposals not started for being late after which the search stops
# when every model on offer is time-bounded (networks only: every later proposal
# is late too); with other models on offer, after MAX_DUPLICATES.
MAX_LATE_PROPOSALS = 3


class _DeadlineAsker:
    """Asks the strategy in a helper thread, so that a slow ask cannot hold the
    loop past its deadline; after an ask overran, the strategy is left alone
    (it is not thread-safe, and the search is over anyway). A strategy that
    raises is left alone too, with a warning: the trials already run, the
    fallback and the refit still make the fit's model."""

    def __init__(self, strategy, interrupts):
        self.strategy = strategy
        self.interrupts = interrupts
        self.stopped = False
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="automl-ask")

    def ask(self, timeout):
        """One candidate list from the strategy, or None when it did not answer in time
        (or the fit was interrupted while it thought)."""
        if self.stopped:
            return None
        future = self._thread.submit(self.strategy.ask, 1)
        deadline = time.monotonic() + max(timeout, 0.01)
        try:
            # In steps, so that a Ctrl-C need not wait for a slow ask (SMAC: seconds).
            while True:
                try:
                    return future.result(timeout=min(POLL_SECONDS,
                                                     max(deadline - time.monotonic(), 0.01)))
                except FutureTimeout:
                    if self.interrupts.stop:
                        self.stopped = True
                        return None
                    if time.monotonic() >= deadline:
                        raise
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
        warn(f"the {self.strategy.name} strategy failed to {what} "
             f"({type(exc).__name__}: {exc}); search stopped, the trials run so far "
             "make the model", RuntimeWarning)

    def close(self):
        self._thread.shutdown(wait=False)


@dataclass
class SearchLoop:
    """Run trials until the budget (minus the finishing step's reserve) or ``max_trials``
    is spent, or the proposals end (the strategy's, or networks' too late to train):
    ask -> build -> submit -> collect -> tell.

    Parameters
    ----------
    strategy : SearchStrategy
    evaluator : Evaluator
    history : History
    budget : Budget
    reporter : Reporter
    build : callable
        (configuration, fidelity) -> (unfitted pipeline, share of training rows).
    describe : callable
        Configuration -> short text for logs.
    reserve : callable
        (the successful full-fidelity trials so far, best first
        (:meth:`.History.ranked`), all trials so far) -> seconds the finishing
        step needs after the search (:meth:`.finish.Finisher.reserve`).
    max_trials : int or None
        Trials to start at most.
    per_trial_time_limit : float or None
        Seconds a trial may take (the first, the strong default, may take the
        whole search time).
    seed : int
        Seed of the first trial's row sampling; trial i gets ``seed + i``.
    return_models : bool
        Whether every full-fidelity trial sends its fitted model back (the first
        always does, and every one while no model that beats the dummy is held but
        that of a stand-in for the strong default run here, see ``inline``); the
        history keeps the best one's.
    limits : Limits
        Size and latency limits: a trial whose model passes one is recorded (and
        told to the strategy) as ``infeasible`` as soon as it is collected, the
        one place they are checked; a network is also told ``max_parameters``
        (:meth:`.Limits.pass_to`) and stops before training when it is over.
    interrupts : Interrupts
        The fit's Ctrl-C presses: at the first, the loop stops at its next check
        and cancels the running trials (recorded as ``cancelled``); a
        ``KeyboardInterrupt`` raised inside the loop is noted as one.
    inline : tuple of (Candidate, float)
        Trials that may run in this process before any other, with their expected
        seconds here: the first warm-start candidate itself (the strong default,
        ``plan.inline_seconds``), then the same with native categorical splits
        (``plan.native_inline_seconds``), then its short form and the quick forest
        (``plan.short_inline_seconds``, ``plan.forest_inline_seconds``), the one
        expected to take less first, then the quick model
        (``plan.quick_inline_seconds``; :func:`~.metalearning.warm_start.inline_trials`).
        While the workers are not up yet, the first expected within
        :data:`~.plan.INLINE_SHARE` of the search time left (on a slower host, no
        more than ends within it and the budget's allowance: :func:`~.plan.inline_limit`)
        runs here; the others
        only when the strong default is not expected to end in a worker in that time
        either (:func:`~.plan.default_late`), and then the strong default stays first
        in the queue for the workers. Once the strong default ran here (or in a fit
        without workers), the others follow in turn while the workers are not up
        and each is expected in time (:meth:`_run_here`; not under ``max_trials``,
        whose trials must not depend on when the workers come up). A trial here
        counts in ``max_trials``; it starts no fold expected to end past the search
        time left when it started and the budget's allowance
        (:func:`~.plan.inline_deadline`; not under ``max_trials``), and is scored on
        the folds it fitted.
        Empty: every trial in a worker.
    default_seconds : float or None
        Expected seconds of the strong default's trial (``plan.default_seconds``).
    host_slowdown : float
        How many times slower than the cost models' host the machine runs
        (``plan.host_slowdown``): :func:`~.plan.inline_limit` reads it.
    only_time_bounded : bool
        Whether every model on offer trains within a time bound (networks only):
        then :data:`MAX_LATE_PROPOSALS` late proposals in a row stop the search
        (:meth:`_late`).
    refit_early : callable or None
        () -> None, called once when the search time is up while the strong
        default's trial still runs (it is waited for) and a worker is free: the
        finishing step starts the best trial's refit there
        (:meth:`.finish.Finisher.refit_early`) rather than leave that worker idle
        through the time it held back for it.
    """

    strategy: object
    evaluator: object
    history: object
    budget: object
    reporter: object
    build: object
    describe: object
    reserve: object
    max_trials: int | None = None
    per_trial_time_limit: float | None = None
    seed: int = 0
    return_models: bool = False
    limits: Limits = field(default_factory=Limits)
    interrupts: Interrupts = field(default_factory=Interrupts)
    inline: tuple = ()
    default_seconds: float | None = None
    host_slowdown: float = 1.0
    only_time_bounded: bool = False
    refit_early: object = None

    def run(self, warm_start) -> None:
        """Evaluate ``warm_start`` (candidates, the strong default first), then the
        strategy's proposals, until the search time or ``max_trials`` is spent, the
        strategy proposes nothing new, or (networks only) its proposals come too
        late to train (:meth:`_late`).

        Raises
        ------
        WorkersUnavailable
            When no worker can run a trial and no trial but the dummy succeeded:
            the fit would otherwise end on the dummy without saying why.
        """
        self._asker = _DeadlineAsker(self.strategy, self.interrupts)
        self._queue = list(warm_start)
        self._pending: dict = {}  # future -> PendingTrial
        self._default_trial = None  # the first trial's future while it runs
        self._waiting: dict = {}  # key of a running trial -> repeated proposals to tell
        self._ask_seconds = 0.0  # duration of the strategy's last ask
        self._started = 0
        self._first_started = False  # whether the queue's first (the strong default) ran
        self._exhausted = False
        self._late_proposals = 0  # proposals not started in a row for being late (_late)
        # Run here in place of the strong default (its native or short form, the quick
        # forest or model): a model of theirs held does not stop the workers' trials
        # sending theirs.
        self._stand_ins = {c.origin for c, _ in self.inline
                           if not (self._queue and c is self._queue[0])}
        try:
            self._loop()
        except KeyboardInterrupt:
            # Raised where no handler of the fit's holds SIGINT (see .interrupts): the
            # loop's state is whatever the line it interrupted left, but every running
            # trial is in _pending or dies with the workers at the evaluator's close.
            self.interrupts.note()
            self._asker.stopped = True
            self._cancel(list(self._pending))
        finally:
            self._asker.close()

    # ------------------------------------------------------------ the clock
    def _search_left(self) -> float:
        reserve = self.reserve(self._refit_candidates(), self.history.results)
        # While the workers are not up, trials run in this process, without a limit:
        # one longer than expected ends the search late, and a poll more is held
        # back for that. Once they are up, the reserve alone: the loop wakes at the
        # search time's end (its waits end there; the trials' limits end by then),
        # and cancelling a running trial (its worker replaced) is in the refit's
        # estimate (budget.REFIT_OVERHEAD). Measured at 2dcc4a8, which held the poll
        # throughout (benchmarks/finish_reserve_probe.py, 5 s): the finishing step
        # took 0.14-0.66 s of the 1.3-1.8 s held, beside the poll.
        late = POLL_SECONDS if reserve > 0 and self.budget.workers_starting() else 0.0
        return self.budget.search_remaining(reserve + late)

    def _refit_candidates(self) -> list:
        """The ranked trials the finishing step may hold time back to refit: all but a
        stand-in's (native or short form, quick forest or model) whose model is held
        once the workers are up. That model serves as fitted during search
        (``finish.Finisher._refit``), and the time is worth more to the workers'
        trials than to its refit.
        Measured at 07758fc (5 s): the quick model's refit reserve stopped the search
        about a second early, before logistic regression's trial ended, and the fit
        ended on naive Bayes (letter 0.631 against 0.766, cnae-9 0.822 against 0.948).
        While the workers are not up (a fit of a second), its refit runs in this
        process and is held back for."""
        ranked = self.history.ranked()
        if not self._stand_in_held() or not self.evaluator.ready(0.0):
            return ranked
        held = self.history.held_model()
        return [r for r in ranked if r is not held]

    def _stand_in_held(self) -> bool:
        """Whether the best fitted model held is that of a stand-in for the strong
        default run here (its native or short form, the quick forest or model:
        ``inline``): it is not held back for (:meth:`_refit_candidates`). A stand-in's
        model alone does not stop the workers' trials sending theirs back either
        (:meth:`_start`, ``History.has_fallback_model``)."""
        held = self.history.held_model()
        return held is not None and held.origin in self._stand_ins

    def _may_start(self) -> bool:
        return not self._exhausted and (self.max_trials is None
                                        or self._started < self.max_trials)

    def _loop(self):
        overtime = False  # the search time is up, the first trial still runs
        while not self.interrupts.stop:
            search_left = self._search_left()
            if self._may_start() and self._run_here(search_left):
                continue  # the workers may be up now; else the next one here
            if not self._pending and not self._wait_for_workers():
                break
            while (self._may_start() and len(self._pending) < self.evaluator.n_workers
                   and search_left >= MIN_TRIAL_SECONDS and not self.interrupts.stop):
                candidate = self._next_candidate()
                search_left = self._search_left()  # asking took time
                if candidate is None or search_left < MIN_TRIAL_SECONDS or self.interrupts.stop:
                    break
                if self._late(candidate, search_left):
                    continue
                self._start(candidate, search_left)
            if not self._pending:
                break
            # Past the search time, only the first trial is waited for: no deadline to wake at.
            done, _ = wait(list(self._pending),
                           timeout=POLL_SECONDS if overtime and search_left <= 0
                           else max(min(POLL_SECONDS, search_left), 0.01),
                           return_when=FIRST_COMPLETED)
            for future in done:
                self._record(future, self._pending.pop(future))
            if self._default_trial not in self._pending:
                self._default_trial = None
            if self._search_left() < 0 and self._pending:
                # The search time is up. The first trial (the strong default) still
                # running is waited for, within its own limit: a fit must not end below
                # it, and the refit of a weaker best it would cancel need not happen (the
                # first trial's fitted model comes back). Measured on digits (random
                # search of networks, 120 s): a weak network's refit reserve cancelled
                # the default network, and the fit ended at test accuracy 0.124.
                self._cancel([f for f in self._pending if f is not self._default_trial])
                if (not overtime and self.refit_early is not None
                        and self._default_trial is not None
                        and len(self._pending) < self.evaluator.n_workers):
                    self.refit_early()
                overtime = True
                if self._default_trial is None or self.budget.remaining() < MIN_TRIAL_SECONDS:
                    break
            self.reporter.tick()
        self._cancel(list(self._pending))

    def _wait_for_workers(self) -> bool:
        """Whether the workers are up, waited for a poll at a time (the clock and
        Ctrl-C are seen) while search time is left. They start in the background
        (seconds on a busy machine); a fit whose search time ends first ends on
        what it holds, within its budget. A fit without workers
        (``Evaluator.has_workers``: a budget too short for them) ends its search
        here, when nothing runs in its own process any more.

        While no trial has started and the workers are later than expected
        (:func:`~.plan.workers_late`), each poll asks again whether the strong
        default is late (:func:`~.plan.default_late`, asked first as the search
        began) and, once it is, runs a stand-in here as the search would have at
        its start (not under ``max_trials``). Measured beside six busy processes on
        2 cores (a fresh process, vehicle at 8 s): the workers came up at about 6 s,
        the default's trial did not end, and the fit ended on the dummy in 8 of 8
        runs; with this, on the quick forest in 6 of 6
        (``benchmarks/results/fresh_fits_vehicle_8s_busy6.md``, docs/benchmarks.md,
        session 47)."""
        if not self.evaluator.has_workers:
            return False
        while not self.evaluator.ready(min(POLL_SECONDS, max(self._search_left(), 0.0))):
            search_left = self._search_left()
            if search_left < MIN_TRIAL_SECONDS or self.interrupts.stop:
                return False
            if (self._started == 0 and self.max_trials is None
                    and workers_late(self.budget.elapsed())):
                self._run_here(search_left)
        return True

    def _run_here(self, search_left) -> bool:
        """Run one trial of :attr:`inline` in this process while the workers are not
        up yet (or there are none); whether one ran.

        The first trial: the strong default, or else its short form, the quick forest
        or the quick model, the first expected within :data:`~.plan.INLINE_SHARE` of
        the search time (:func:`~.plan.inline_limit`): in a fresh process the workers'
        start (1.5 s and more) would otherwise take a fit of a second or two whole,
        and it would end on the dummy.
        Then, once the strong default ran here (or the fit has no workers), the
        others in turn while each is expected in time, the short form apart when the
        default itself succeeded: time the fit would spend waiting for its workers.
        Measured at 32d3f42 (3 s, six small datasets): the search waited from the
        default's end (0.4 s) to 1.6 s, then ended with nothing more run. Not in a
        fit bounded by ``max_trials``: which trials it runs must not depend on when
        its workers come up (same ``random_state``, same leaderboard).
        """
        if (not self._queue and self._started == 0) or self.evaluator.ready(0.0):
            return False
        budget = inline_limit(search_left, self.budget.total, self.host_slowdown)
        if self._started == 0:
            late = default_late(self.default_seconds, search_left)
            # inline_trials gives the queue's first candidate itself: identity tells it apart.
            candidate = next((c for c, seconds in self.inline
                              if seconds <= budget and (c is self._queue[0] or late)), None)
        elif (self.max_trials is None and not self._pending
              and (self._first_started or not self.evaluator.has_workers)):
            default_ok = strong_default(self.history.results) is not None
            candidate = next((c for c, seconds in self.inline
                              if seconds <= budget and not self.history.seen(c.config, c.fidelity)
                              and not (default_ok and c.origin == SHORT_DEFAULT_ORIGIN)),
                             None)
        else:  # under max_trials; or the strong default waits for (or runs in) a worker
            candidate = None
        if candidate is None:
            return False
        if self._queue and candidate is self._queue[0]:
            self._queue.pop(0)
            self._first_started = True
        self.history.mark(candidate.config, candidate.fidelity)
        pipeline, row_share = self._build(candidate)
        self._started += 1
        pending = PendingTrial(self._started, candidate, self.budget.elapsed(), time.monotonic())
        # No limit kills a trial here: it starts no fold expected to end past the time
        # inline_limit let it start for (not under max_trials, whose trials must not
        # depend on the machine's speed).
        future = self.evaluator.run_here(
            pipeline, fidelity=row_share,
            seed=self.seed if self._started == 1 else self.seed + self._started,
            return_model=True,
            stop_after=(None if self.max_trials is not None
                        else inline_deadline(search_left, self.budget.total)))
        self._record(future, pending)
        done = self.history.results[-1].info.get(FOLDS_DONE)
        if done is not None:
            self.reporter.phase(
                "trial %d stopped after %d of %d folds in this process: the next was "
                "expected to end past the search time and the budget's allowance; it is "
                "scored on those folds",
                pending.trial_id, done, len(self.evaluator.splits))
        return True

    # ------------------------------------------------------------ candidates
    def _next_candidate(self):
        """The next warm-start candidate or proposal not tried yet; None when there is
        none (no time to ask, the strategy exhausted or stopped). Repeated proposals
        are told the result their first trial had, or will have."""
        duplicates = 0
        while True:
            if self._queue:
                candidate = self._queue.pop(0)
            elif self._exhausted:
                return None
            else:
                if self._search_left() < MIN_TRIAL_SECONDS + self._ask_seconds * ASK_SAFETY:
                    return None  # no time to think and run: wait for pending trials
                started_ask = time.monotonic()
                asked = self._asker.ask(self._search_left())
                self._ask_seconds = time.monotonic() - started_ask
                if not asked:
                    self._exhausted = True
                    return None
                candidate = asked[0]
            if not self.history.seen(candidate.config, candidate.fidelity):
                return candidate
            known = self.history.finished(candidate.config, candidate.fidelity)
            if known is not None:
                self._asker.tell(candidate, known)
            else:
                self._waiting.setdefault(candidate.key, []).append(candidate)
            duplicates += 1
            if duplicates >= MAX_DUPLICATES:
                self._exhausted = True
                return None

    def _late(self, candidate, search_left) -> bool:
        """Whether ``candidate`` is a time-bounded model's trial (a network) started too
        late to train what that model's finished trials did (:data:`LATE_START_SHARE`
        of their median duration, each at most the per-trial limit). Such a
        proposal is dropped unrun and untold; after :data:`MAX_LATE_PROPOSALS` in a
        row (networks only, ``only_time_bounded``), else :data:`MAX_DUPLICATES`, the
        search stops. The strong default, first, always runs."""
        if not self._first_started:
            return False
        model = candidate.config.get(MODEL)
        cap = math.inf if self.per_trial_time_limit is None else self.per_trial_time_limit
        durations = [min(r.duration, cap) for r in self.history.results
                     if r.ok and r.time_bounded and r.config.get(MODEL) == model
                     and r.fidelity == candidate.fidelity and math.isfinite(r.duration)]
        typical = float(np.median(durations)) if durations else 0.0
        if search_left >= LATE_START_SHARE * typical:
            self._late_proposals = 0
            return False
        self._late_proposals += 1
        logger.info("not starting a %s trial with %.1fs of search left: its finished trials "
                    "took %.1fs (median)", model, search_left, typical)
        if self._late_proposals >= (MAX_LATE_PROPOSALS if self.only_time_bounded
                                    else MAX_DUPLICATES):
            self._exhausted = True
        return True

    # ------------------------------------------------------------ trials
    def _start(self, candidate, search_left):
        # The strong default, first in the queue: no per-trial limit (a fit must not
        # end below it for want of one), its model sent back, and waited for past
        # the search time. A network (a model that trains within a bound set from its
        # limit) is not lost to a limit, it stops with what it learned: the default
        # network takes the per-trial limit as every other network does. Without it,
        # measured at 3aeae08 (evolution, MNIST-1D, 300 s, seed 2), it trained for
        # 103 s against the others' 63 s, and the reserve for its refit estimated
        # from those 103 s (165 s) ended the search at 106 s; the fit ended at 167 s.
        first = not self._first_started
        self._first_started = True
        self.history.mark(candidate.config, candidate.fidelity)
        pipeline, row_share = self._build(candidate)
        unlimited = first and not trains_within_time(pipeline)
        limit = search_left if unlimited or self.per_trial_time_limit is None \
            else min(self.per_trial_time_limit, search_left)
        seed = self.seed if first else self.seed + self._started
        # A fitted model comes back from the first trial, from every trial on small
        # data, and from any trial while no model that beats the dummy is held (one
        # of a stand-in run here does not count): the refit may not finish, and then
        # that model serves. Measured at d86cbbd (letter, 10 s): the quick model held,
        # the best trials' models stayed in the workers, their refits did not fit,
        # and the fit ended on naive Bayes (test accuracy 0.645; 0.953 before it).
        # The strong default's model held counts even where a stand-in's scored
        # higher: before (4d1226d, diamonds at 300 s), the native default's model,
        # the best, kept 20 worker trials sending theirs back, forests of ~600 MB
        # among them, each read into this process and dropped at once.
        full = candidate.fidelity >= 1.0
        try:
            future = self.evaluator.submit(
                pipeline, limit, fidelity=row_share, seed=seed,
                return_model=first or (full and (
                    self.return_models
                    or not self.history.has_fallback_model(exclude=self._stand_ins))))
        except WorkersUnavailable as exc:
            self._workers_unavailable(exc)
            return
        self._started += 1
        self._pending[future] = PendingTrial(self._started, candidate, self.budget.elapsed(),
                                             time.monotonic())
        if first:
            self._default_trial = future

    def _build(self, candidate):
        """(pipeline, share of training rows) of ``candidate``; a network in it is told
        ``max_parameters``, so that one over the limit stops before it trains."""
        pipeline, row_share = self.build(candidate.config, candidate.fidelity)
        return self.limits.pass_to(pipeline), row_share

    def _workers_unavailable(self, exc):
        self._exhausted = True
        if not any(r.ok and r.origin != "dummy" for r in self.history.results):
            self._cancel(list(self._pending))
            raise WorkersUnavailable(
                f"{exc}. No trial could run, so the fit would end on the dummy model. Check "
                "that this process may start child processes and write to its temporary "
                "folder (TMPDIR), or run the trials on a Dask cluster (dask_client).") from exc
        warn(f"{exc}; search stopped, the trials run so far make the model",
             RuntimeWarning)
        logger.error("search stopped: %s", exc)

    def _record(self, future, pending: PendingTrial):
        candidate = pending.candidate
        result = self.evaluator.collect(
            future, trial_id=pending.trial_id, config=candidate.config,
            origin=candidate.origin, fidelity=candidate.fidelity,
            started_at=pending.started_at, submitted=pending.submitted)
        result = self.limits.apply(result)
        self.history.add(result)
        self._asker.tell(candidate, result)
        for repeated in self._waiting.pop(candidate.key, ()):
            self._asker.tell(repeated, result)
        self.reporter.trial(result, self.describe(candidate.config))

    def _cancel(self, futures):
        """Cancel these pending trials and record them as cancelled."""
        reason = ("stopped: the fit was interrupted (Ctrl-C)" if self.interrupts.stop
                  else "stopped at the end of the search time")
        for future in futures:
            pending = self._pending.pop(future)
            future.cancel()
            candidate = pending.candidate
            result = TrialResult(trial_id=pending.trial_id, config=candidate.config,
                                 origin=candidate.origin, fidelity=candidate.fidelity,
                                 status=Status.CANCELLED, started_at=pending.started_at,
                                 error=reason)
            self.history.add(result)
            self.reporter.trial(result, self.describe(candidate.config))
