"""The machine's speed against the plan's cost models' host: timed, clipped, and read
by a fit the clock bounds (host_speed)."""

import numpy as np
import pytest
from sklearn.datasets import load_iris

from automl_estimators import AutoClassifier, host_speed
from automl_estimators.plan import WORKERLESS_BUDGET


@pytest.mark.measured_host_speed
def test_the_reference_is_timed_in_a_fraction_of_a_second():
    seconds = host_speed.reference_seconds()
    # about 10-40 ms idle; a bound a loaded machine keeps
    assert 0 < seconds < 2.0
    assert 1.0 <= host_speed.slowdown() <= host_speed.MAX_SLOWDOWN


@pytest.mark.parametrize("ratio, expected", [
    (0.3, 1.0),  # a faster host keeps the envelopes as they are
    (1.0, 1.0),
    (2.5, 2.5),
    (100.0, host_speed.MAX_SLOWDOWN),  # a stall while timing is not a 100x slower host
])
def test_the_slowdown_is_the_reference_s_ratio_clipped(ratio, expected):
    assert host_speed.slowdown(ratio * host_speed.REFERENCE_SECONDS) == pytest.approx(expected)


@pytest.mark.measured_host_speed
def test_a_fit_the_clock_bounds_reads_the_host_and_one_bounded_by_trials_does_not(
        monkeypatch):
    """A fit without max_trials reads the slowdown timed at its start (the plan's
    inline_limit bounds its trials in its own process by it); under max_trials, whose
    trials must not depend on the machine's speed (two fits with the same seed give
    the same model), it is 1, and in a fit without workers (below
    WORKERLESS_BUDGET)."""
    monkeypatch.setattr(host_speed, "reference_seconds",
                        lambda: 3.0 * host_speed.REFERENCE_SECONDS)
    X, y = load_iris(return_X_y=True)
    clf = AutoClassifier(time_budget=WORKERLESS_BUDGET, n_jobs=1, random_state=0).fit(X, y)
    assert clf.search_plan_.host_slowdown == pytest.approx(3.0)
    assert "3.00x slower than the cost models' host" in clf.search_plan_.reason
    bounded = AutoClassifier(time_budget=WORKERLESS_BUDGET, max_trials=1, n_jobs=1,
                             random_state=0).fit(X, y)
    assert bounded.search_plan_.host_slowdown == 1.0
    # a fit without workers is not measured: the measure took its sample's time
    short = AutoClassifier(time_budget=1, n_jobs=1, random_state=0).fit(X, y)
    assert short.search_plan_.host_slowdown == 1.0
    assert np.isfinite(bounded.best_score_)
