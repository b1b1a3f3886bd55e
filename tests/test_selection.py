"""Choosing the final model: the rules of automl_estimators.selection on small synthetic
histories whose per-fold accuracies are set exactly."""

import dataclasses
import time

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from automl_estimators.budget import Budget
from automl_estimators.evaluation import Refit
from automl_estimators.finish import Finisher
from automl_estimators.history import History
from automl_estimators.pipelines.components import (
    EXACT_SVM_MAX_ROWS,
    EXACT_SVM_MAX_WORK,
    RBFSVMClassifier,
    scale_size_bounds,
)
from automl_estimators.progress import Reporter
from automl_estimators.scoring import Predictions, get_metric, split_folds
from automl_estimators.selection import (
    RULES,
    _Folds,
    _scores_of,
    beats,
    choose_final,
    refit_holds,
    strong_default,
)
from automl_estimators.trial import Status, TrialResult

ROWS_PER_FOLD = 20
ACCURACY = get_metric("accuracy", "classification")


def _problem(n_folds=5):
    """Binary targets and n_folds contiguous validation folds of ROWS_PER_FOLD rows."""
    n = n_folds * ROWS_PER_FOLD
    y = np.arange(n) % 2
    rows = np.arange(n)
    splits = [(np.setdiff1d(rows, rows[f * ROWS_PER_FOLD:(f + 1) * ROWS_PER_FOLD]),
               rows[f * ROWS_PER_FOLD:(f + 1) * ROWS_PER_FOLD]) for f in range(n_folds)]
    return y, splits


def _trial(trial_id, y, splits, accuracies, origin="smac", status=Status.OK):
    """A trial whose accuracy on fold f is accuracies[f] (a multiple of 1/ROWS_PER_FOLD):
    the rows of a cyclic window of each fold are right (probability 0.9), the others
    wrong (probability 0.8 on the wrong class). The window starts at the fold's first
    row, or at ``start`` when accuracies[f] is an ``(accuracy, start)`` pair."""
    values = []
    accuracies = [a if isinstance(a, tuple) else (a, 0) for a in accuracies]
    for (_, valid), (accuracy, start) in zip(splits, accuracies):
        right = (np.arange(len(valid)) - start) % len(valid) < round(accuracy * len(valid))
        truth = y[valid]
        predicted = np.where(right, truth, 1 - truth)
        # A blend of two is right where either is; of three, where two are.
        confidence = np.where(right, 0.9, 0.8)
        proba = np.column_stack([1 - confidence, 1 - confidence])
        proba[np.arange(len(valid)), predicted] = confidence
        values.append(proba)
    values = np.concatenate(values)
    scores = tuple(float(a) for a, _ in accuracies)
    return TrialResult(trial_id=trial_id, config={"model": f"m{trial_id}"}, origin=origin,
                       fidelity=1.0, status=status, score=float(np.mean(scores)),
                       fold_scores=scores, predictions=Predictions(values, values.argmax(1)))


def _history(y, splits, challengers, default=(0.8,) * 5, default_status=Status.OK):
    """The dummy (trial 0), the strong default (trial 1), then the challengers."""
    results = [_trial(0, y, splits, [0.5] * len(splits), origin="dummy"),
               _trial(1, y, splits, default, origin="default", status=default_status)]
    results += [_trial(2 + i, y, splits, acc) for i, acc in enumerate(challengers)]
    return results


def test_fold_scores_of_the_synthetic_trials_are_exact():
    y, splits = _problem()
    trial = _trial(5, y, splits, [0.8, 0.85, 0.9, 0.75, 1.0])
    folds = _Folds(splits)
    scores = _scores_of((trial,), np.ones(1), y, folds, ACCURACY, "classification")
    np.testing.assert_allclose(scores, [0.8, 0.85, 0.9, 0.75, 1.0])


def test_beats_needs_more_than_one_standard_error():
    anchor = np.array([0.8] * 5)
    # Differences 0.1, -0.05, 0.05, -0.05, 0.05: mean 0.02, standard error 0.030.
    assert not beats(np.array([0.9, 0.75, 0.85, 0.75, 0.85]), anchor)
    # Differences 0.1, 0.15, 0.1, 0.1, 0.15: mean 0.12, standard error 0.012.
    assert beats(np.array([0.9, 0.95, 0.9, 0.9, 0.95]), anchor)
    assert not beats(anchor, anchor)  # equal scores never beat
    assert beats(np.array([0.81]), np.array([0.8]))  # one fold: no noise estimate


def test_a_challenger_within_one_standard_error_keeps_the_strong_default():
    y, splits = _problem()
    results = _history(y, splits, [[0.9, 0.75, 0.85, 0.75, 0.85]])
    best = choose_final(results, y, splits, ACCURACY, "classification", rule="best",
                        ensemble_size=1)
    assert [t.trial_id for t in best.trials] == [2]  # higher mean: main's rule takes it
    kept = choose_final(results, y, splits, ACCURACY, "classification", rule="one_se",
                        ensemble_size=1)
    assert [t.trial_id for t in kept.trials] == [1]
    assert kept.single.trial_id == 1
    assert kept.score == pytest.approx(0.8)
    assert "within one standard error" in kept.reason


def test_a_clear_winner_is_chosen_over_the_strong_default():
    y, splits = _problem()
    results = _history(y, splits, [[0.9, 0.95, 0.9, 0.9, 0.95], [0.85, 0.75, 0.8, 0.8, 0.8]])
    for rule in ("best", "one_se", "nested", "nested_one_se"):
        choice = choose_final(results, y, splits, ACCURACY, "classification", rule=rule,
                              ensemble_size=1)
        assert [t.trial_id for t in choice.trials] == [2], rule
        assert choice.score == pytest.approx(0.92)


def test_a_higher_bar_keeps_the_strong_default_against_a_winner_below_it():
    y, splits = _problem()
    # Differences 0.1, 0.05, 0.1, 0.0, 0.1: mean 0.07, standard error 0.020 (3.5 SE).
    results = _history(y, splits, [[0.9, 0.85, 0.9, 0.8, 0.9]])
    for n_se, chosen in ((1.0, 2), (3.0, 2), (4.0, 1)):
        for rule in ("one_se", "nested_one_se"):
            choice = choose_final(results, y, splits, ACCURACY, "classification", rule=rule,
                                  ensemble_size=1, n_se=n_se)
            assert [t.trial_id for t in choice.trials] == [chosen], (rule, n_se)
    kept = choose_final(results, y, splits, ACCURACY, "classification", rule="one_se",
                        ensemble_size=1, n_se=4.0)
    assert "within 4 standard errors" in kept.reason


def _voters(fold_accuracies):
    """Two challengers right on cyclic windows of 17 rows of 20 starting at rows 0 and
    3 where fold_accuracies[f] is None (each 0.85, their blend 1.0: each row is wrong
    in one member at most), both on the same first rows where it is a number."""
    return [[(0.85, start) if a is None else a for a in fold_accuracies]
            for start in (0, 3)]


def test_an_ensemble_that_beats_the_strong_default_by_far_is_chosen():
    y, splits = _problem()
    results = _history(y, splits, _voters([None] * 5))
    for rule in ("best", "one_se", "nested", "nested_one_se"):
        choice = choose_final(results, y, splits, ACCURACY, "classification", rule=rule)
        assert sorted(t.trial_id for t in choice.trials) == [2, 3], rule
        assert choice.score == pytest.approx(1.0)
        np.testing.assert_allclose(choice.weights, [0.5, 0.5])


def test_an_ensemble_must_beat_the_strong_default_by_the_noise_too():
    y, splits = _problem()
    # The pair's blend is right on every row of fold 0, as each member on folds 1-3
    # (0.85), and below the default on fold 4 (0.65).
    results = _history(y, splits, _voters([None, 0.85, 0.85, 0.85, 0.65]))
    best = choose_final(results, y, splits, ACCURACY, "classification", rule="best")
    assert [t.trial_id for t in best.trials] == [2, 3]
    ensemble = _scores_of(best.trials, best.weights, y, _Folds(splits), ACCURACY,
                          "classification")
    np.testing.assert_allclose(ensemble, [1.0, 0.85, 0.85, 0.85, 0.65])
    diff = ensemble - 0.8  # mean +0.04, standard error 0.056
    assert 0 < diff.mean() < 0.8 * diff.std(ddof=1) / np.sqrt(5)
    one_se = choose_final(results, y, splits, ACCURACY, "classification", rule="one_se")
    assert [t.trial_id for t in one_se.trials] == [1]
    assert "ensemble within one standard error" in one_se.reason


def test_a_challenger_that_wins_one_fold_by_luck_loses_the_cross_fitted_comparison():
    """Challenger j is perfect on fold j and a little below the default elsewhere: its
    mean beats the default's, but chosen on the other folds it is always the wrong one."""
    y, splits = _problem()
    challengers = [[1.0 if f == j else 0.8 for f in range(5)] for j in range(5)]
    results = _history(y, splits, challengers)  # means 0.84 > the default's 0.8
    best = choose_final(results, y, splits, ACCURACY, "classification", rule="best",
                        ensemble_size=1)
    assert best.trials[0].trial_id == 2
    nested = choose_final(results, y, splits, ACCURACY, "classification", rule="nested",
                          ensemble_size=1)
    # Cross-fitted: the best on four folds is scored 0.8 on the fifth, the default 0.8:
    # a tie keeps the simpler procedure, the default.
    assert nested.trials[0].trial_id == 1
    assert "default 0.8000, best 0.8000" in nested.reason


def test_the_strong_default_is_the_first_default_submitted_not_the_first_ended():
    y, splits = _problem()
    results = _history(y, splits, [[0.9, 0.75, 0.85, 0.75, 0.85]])
    # Another portfolio default that ended before the strong default.
    other = _trial(3, y, splits, [0.75] * 5, origin="default")
    results = [results[0], other, *results[1:]]
    assert strong_default(results).trial_id == 1
    choice = choose_final(results, y, splits, ACCURACY, "classification", rule="one_se",
                          ensemble_size=1)
    assert choice.trials[0].trial_id == 1


def test_without_a_usable_strong_default_one_se_is_main_rule():
    y, splits = _problem()
    challengers = [[0.9, 0.75, 0.85, 0.75, 0.85]]
    results = _history(y, splits, challengers, default_status=Status.CRASH)
    assert strong_default(results) is None
    choice = choose_final(results, y, splits, ACCURACY, "classification", rule="one_se",
                          ensemble_size=1)
    assert choice.trials[0].trial_id == 2


def test_a_holdout_is_cut_into_chunks_for_the_noise():
    y, splits = _problem(n_folds=1)
    folds = _Folds(splits)
    assert len(folds) == 5
    assert sorted(np.concatenate(folds.rows).tolist()) == list(range(ROWS_PER_FOLD))
    # A challenger 1 row better of 20 on one holdout: no clear winner.
    results = _history(y, splits, [[0.85]], default=(0.8,))
    choice = choose_final(results, y, splits, ACCURACY, "classification", rule="one_se",
                          ensemble_size=1)
    assert choice.trials[0].trial_id == 1


def test_nothing_better_than_the_dummy_is_no_choice_and_a_bad_rule_is_an_error():
    y, splits = _problem()
    results = _history(y, splits, [], default=(0.4,) * 5)
    assert choose_final(results, y, splits, ACCURACY, "classification") is None
    with pytest.raises(ValueError, match="rule must be one of"):
        choose_final(results, y, splits, ACCURACY, "classification", rule="lucky")
    assert set(RULES) >= {"best", "one_se", "nested", "nested_one_se", "default"}


@pytest.mark.parametrize("rule", ["one_se", "nested_one_se"])
def test_the_dummy_ranked_first_is_the_choice_however_small_its_lead(rule):
    """Unlike a challenger of the strong default, the dummy needs no margin: when it
    ranks first on validation, and the trials' probabilities are no closer to the
    targets than its priors, the fit ends on it. Tried in session 35 and not kept:
    holding the dummy to the one-SE bar kept HistGradientBoosting on no-signal data
    of 150 rows (80/20 classes) in 2 of 5 seeds, 0.705 and 0.753 on test against
    the majority's 0.80 and 0.79 (benchmarks/no_signal.py), for +0.005 on two
    cells of the shared suite at 1 s."""
    y, splits = _problem()
    # dummy - default per fold: 0.05, 0, 0.05, -0.05, 0.05: within one SE
    results = _history(y, splits, [[0.45] * 5], default=(0.45, 0.5, 0.45, 0.55, 0.45))
    assert choose_final(results, y, splits, ACCURACY, "classification", rule=rule,
                        ensemble_size=1) is None


def _prior_or_soft_trial(trial_id, y, splits, positive, origin):
    """A trial whose probability of class 1 is ``positive`` (one per row), its label
    class 1 above one half."""
    positive = np.asarray(positive, dtype=float)
    values = np.column_stack([1 - positive, positive])
    labels = (positive > 0.5).astype(int)
    scores = tuple(float((labels[f * ROWS_PER_FOLD:(f + 1) * ROWS_PER_FOLD]
                          == y[valid]).mean()) for f, (_, valid) in enumerate(splits))
    return TrialResult(trial_id=trial_id, config={"model": f"m{trial_id}"}, origin=origin,
                       fidelity=1.0, status=Status.OK, score=float(np.mean(scores)),
                       fold_scores=scores, predictions=Predictions(values, labels))


@pytest.mark.parametrize("rule", ["one_se", "nested_one_se"])
def test_a_classifier_within_the_noise_below_the_dummy_is_kept_when_its_probabilities_say_more(
        rule):
    """kc1 at 1 s (a holdout of 264 rows, 84 % one class) ended on the dummy, 0.845 on
    test, where the default scores 0.877: the dummy led on validation by less than the
    noise. Here, 4 positives in each fold of 20: the dummy says 0.2 everywhere; the
    default says 0.45 on the positives and 0.1 on the others, but for one false
    positive in folds 0 and 1 and one true positive in fold 2 (accuracy 0.79 against
    0.80, within one SE), probabilities that rank the rows (a Brier score of 0.147
    against 0.32)."""
    y, splits = _problem()
    y = (np.arange(len(y)) % ROWS_PER_FOLD < 4).astype(int)  # rows 0-3 of each fold
    rows = np.concatenate([valid for _, valid in splits])
    prior = np.full(len(rows), 0.2)
    soft = np.where(y[rows] == 1, 0.45, 0.1)
    for fold, row, p in ((0, 10, 0.55), (1, 10, 0.55), (2, 0, 0.55)):
        soft[fold * ROWS_PER_FOLD + row] = p
    results = [_prior_or_soft_trial(0, y, splits, prior, "dummy"),
               _prior_or_soft_trial(1, y, splits, soft, "default")]
    assert results[1].fold_scores == (0.75, 0.75, 0.85, 0.8, 0.8)
    choice = choose_final(results, y, splits, ACCURACY, "classification", rule=rule,
                          ensemble_size=1)
    assert choice is not None and choice.trials[0].trial_id == 1
    # No better than the priors (the probabilities flattened to them): the dummy.
    results[1] = _prior_or_soft_trial(1, y, splits, np.where(soft > 0.5, 0.55, 0.2),
                                      "default")
    assert choose_final(results, y, splits, ACCURACY, "classification", rule=rule,
                        ensemble_size=1) is None
    # Under the rules without the noise, the dummy's lead decides.
    results[1] = _prior_or_soft_trial(1, y, splits, soft, "default")
    assert choose_final(results, y, splits, ACCURACY, "classification", rule="best",
                        ensemble_size=1) is None


def _kept(results) -> History:
    """A history holding ``results``, added in this order."""
    history = History()
    for result in results:
        history.add(result)
    return history


def _finisher(y, splits, budget, rule, train_rows=80, all_rows=100, ensemble_size=1,
              n_workers=1):
    """The finishing step of a binary problem of 100 rows, 80 per trial, one model
    (or of ``all_rows`` rows searched on ``train_rows``: the row cap; or an
    ensemble refit on ``n_workers``)."""
    return Finisher("classification", ACCURACY, y, splits, 2, ensemble_size=ensemble_size,
                    n_threads=1, train_rows=train_rows, all_rows=all_rows, budget=budget,
                    reporter=Reporter(0, budget, "accuracy"), rule=rule, n_workers=n_workers)


class _Refits:
    """An evaluator stand-in whose refit returns the configuration it was asked for;
    its workers are up."""

    def ready(self, timeout=0.0):
        return True

    def refit(self, pipeline, timeout, n_threads=1, fidelity=1.0, training_seconds=None):
        return Refit(pipeline, 0.0)

    def refit_many(self, pipelines, timeout, n_threads=1, fidelity=1.0, training_seconds=None):
        return [Refit(p, 0.0) for p in pipelines]


def test_the_finisher_refits_the_rule_s_choice():
    y, splits = _problem()
    history = _kept(_history(y, splits, [[0.9, 0.75, 0.85, 0.75, 0.85]]))
    finals = {}
    for rule in ("best", "one_se"):
        finisher = _finisher(y, splits, Budget(60), rule)
        finals[rule] = finisher.finish(history, _Refits(), lambda config: config, "dummy")
    assert finals["best"].model == {"model": "m2"}
    assert finals["one_se"].model == {"model": "m1"}
    assert finals["one_se"].chosen.trial_id == 1


def test_a_refit_on_more_rows_keeps_the_kernel_machine_its_trial_was_scored_with():
    # The trials trained on 80 rows, the refit on 100: an RBF SVM's bounds on exact
    # kernel rows and work grow by 100 / 80 and (100 / 80)^2, so that it is exact in
    # the refit whenever it was in the trial.
    y, splits = _problem()
    history = _kept(_history(y, splits, [[0.9, 0.75, 0.85, 0.75, 0.85]]))

    def build(config):
        return Pipeline([("scale", StandardScaler()), ("model", RBFSVMClassifier(C=2.0))])

    final = _finisher(y, splits, Budget(60), "best").finish(history, _Refits(), build, "dummy")
    assert final.model.get_params()["model__max_exact_rows"] == pytest.approx(
        int(EXACT_SVM_MAX_ROWS * 100 / 80))
    assert final.model.get_params()["model__max_exact_work"] == pytest.approx(
        EXACT_SVM_MAX_WORK * (100 / 80) ** 2)
    assert final.model.get_params()["model__C"] == 2.0
    assert scale_size_bounds("not an estimator", 80, 100) == "not an estimator"


def test_an_ensemble_s_refit_members_keep_their_kernel_machines_too():
    # Two challengers whose blend beats each: the rule ends on their ensemble, whose
    # members are refit on 100 rows after trials on 80, each bound scaled.
    y, splits = _problem()
    history = _kept(_history(y, splits, _voters([None] * 5)))

    def build(config):
        C = {"m2": 2.0, "m3": 3.0}[config["model"]]
        return Pipeline([("scale", StandardScaler()), ("model", RBFSVMClassifier(C=C))])

    final = _finisher(y, splits, Budget(60), "best", ensemble_size=10).finish(
        history, _Refits(), build, "dummy")
    assert final.members and len(final.model.estimators) == 2
    assert sorted(m.get_params()["model__C"] for _, m in final.model.estimators) == [2.0, 3.0]
    for _, member in final.model.estimators:
        assert member.get_params()["model__max_exact_rows"] == int(EXACT_SVM_MAX_ROWS * 100 / 80)
        assert member.get_params()["model__max_exact_work"] == pytest.approx(
            EXACT_SVM_MAX_WORK * (100 / 80) ** 2)


def _in_sample(y, splits, accuracies):
    """A refit's predictions of each split's validation rows at these accuracies."""
    return tuple(split_folds(_trial(99, y, splits, accuracies).predictions, splits))


def test_a_refit_that_learned_less_than_its_fold_models_does_not_hold():
    y, splits = _problem()
    trial = _trial(2, y, splits, [0.9, 0.85, 0.9, 0.85, 0.9])
    # In-sample on rows it was trained on: at least as good (or within the noise).
    assert refit_holds(trial, _in_sample(y, splits, [1.0] * 5), y, splits, ACCURACY,
                       "classification") == (True, 1.0)
    assert refit_holds(trial, _in_sample(y, splits, [0.9, 0.8, 0.9, 0.85, 0.9]), y, splits,
                       ACCURACY, "classification")[0]
    # A diverged refit: below its fold models on every fold.
    holds, score = refit_holds(trial, _in_sample(y, splits, [0.6, 0.55, 0.65, 0.6, 0.6]), y,
                               splits, ACCURACY, "classification")
    assert not holds and score == pytest.approx(0.6)
    # Nothing to check: it holds.
    assert refit_holds(trial, (), y, splits, ACCURACY, "classification")[0]


class _DivergingRefits(_Refits):
    """Refits whose in-sample predictions are worse than their trials' on every fold."""

    def __init__(self, y, splits):
        self.in_sample = _in_sample(y, splits, [0.55] * len(splits))

    def refit(self, pipeline, timeout, n_threads=1, fidelity=1.0, training_seconds=None):
        return Refit(pipeline, 0.0, predictions=self.in_sample)

    def refit_many(self, pipelines, timeout, n_threads=1, fidelity=1.0, training_seconds=None):
        return [self.refit(p, timeout) for p in pipelines]


def test_a_rejected_refit_gives_way_to_the_search_time_model_or_the_next_trial():
    y, splits = _problem()
    finisher = _finisher(y, splits, Budget(60), "best")
    results = _history(y, splits, [[0.9] * 5])
    history = _kept(results[:2])
    history.add(dataclasses.replace(results[2], model="search-time model of m2"))
    final = finisher.finish(history, _DivergingRefits(y, splits), lambda c: c, "dummy")
    assert (final.model, final.chosen.trial_id) == ("search-time model of m2", 2)
    # Without a model kept from the search: the next candidate's refit, here no
    # better; then the dummy.
    history = _kept(results)
    final = finisher.finish(history, _DivergingRefits(y, splits), lambda c: c, "dummy")
    assert final.model == "dummy" and final.chosen.origin == "dummy"


class _Recorder(_Refits):
    """Refits that record which configurations they were asked for."""

    def __init__(self):
        self.asked, self.shares, self.training = [], [], []

    def refit(self, pipeline, timeout, n_threads=1, fidelity=1.0, training_seconds=None):
        self.asked.append(pipeline)
        self.shares.append(fidelity)
        self.training.append(training_seconds)
        return Refit(pipeline, 0.0)

    def ready(self, timeout=0.0):
        return True


def test_the_choice_s_search_time_model_outranks_a_weaker_trial_s_refit():
    # The best trial's refit is not expected to finish in the time left; a weaker
    # trial's would be: the best's model as fitted during search serves.
    y, splits = _problem()
    finisher = _finisher(y, splits, Budget(10), "best")
    results = _history(y, splits, [[0.9] * 5, [0.85] * 5])
    best = dataclasses.replace(results[2], fit_seconds=60.0, model="best, from the search")
    quick = dataclasses.replace(results[3], fit_seconds=0.01)
    history = _kept((results[0], dataclasses.replace(results[1], fit_seconds=60.0), best, quick))
    refits = _Recorder()
    final = finisher.finish(history, refits, lambda c: c, "dummy")
    assert (final.model, final.chosen.trial_id) == ("best, from the search", 2)
    assert refits.asked == []
    # Without its search-time model, the next trial whose refit fits is refit.
    history = _kept((results[0], dataclasses.replace(results[1], fit_seconds=60.0),
                    dataclasses.replace(best, model=None), quick))
    final = finisher.finish(history, refits, lambda c: c, "dummy")
    assert final.chosen.trial_id == 3 and refits.asked == [quick.config]


def test_the_strong_default_s_search_time_model_serves_when_the_rule_keeps_it():
    # one_se keeps the strong default against a challenger within the noise; the
    # default's refit is not expected in time, the challenger's is. The history kept
    # the default's model beside the best's, and it serves: the rule's choice, not
    # the challenger it did not choose (seen at d909fce, letter 10 s seed 1).
    y, splits = _problem()
    finisher = _finisher(y, splits, Budget(10), "one_se")
    dummy, default, challenger = _history(y, splits, [[0.9, 0.75, 0.85, 0.75, 0.85]])
    history = _kept((dummy, dataclasses.replace(default, fit_seconds=60.0, model="default"),
                     dataclasses.replace(challenger, fit_seconds=0.01, model="challenger")))
    assert [r.model for r in history.results] == [None, "default", "challenger"]
    refits = _Recorder()
    final = finisher.finish(history, refits, lambda c: c, "dummy")
    assert (final.model, final.chosen.trial_id) == ("default", 1)
    assert refits.asked == []


def test_on_large_data_a_refit_that_cannot_finish_runs_on_part_of_the_rows():
    """750,000 rows searched on 20,100: the strong default at 10.8 s a trial would
    take ~600 s to refit on all rows. The search holds back half the budget, not
    the whole refit it could never run, and the refit runs on as many rows as the
    time left allows (at least twice the search's); on small data nothing changes."""
    from automl_estimators.budget import REFIT_OVERHEAD
    from automl_estimators.finish import PARTIAL_REFIT_SHARE

    y, splits = _problem()
    results = _history(y, splits, [])
    default = dataclasses.replace(results[1], fit_seconds=10.8, model="default, searched")
    budget = Budget(300)
    finisher = _finisher(y, splits, budget, "best", train_rows=20_100, all_rows=750_000)
    assert finisher._refit_estimate(default) > budget.remaining()
    assert finisher.reserve([default]) == PARTIAL_REFIT_SHARE * 300
    history = _kept((results[0], default))
    refits = _Recorder()
    final = finisher.finish(history, refits, lambda c: c, "dummy")
    assert refits.asked == [default.config] and final.chosen.trial_id == 1
    share = refits.shares[0]
    full = finisher._refit_estimate(default) - REFIT_OVERHEAD
    assert 2 * 20_100 / 750_000 < share < 1.0
    assert share == pytest.approx((budget.remaining() - REFIT_OVERHEAD) / full, rel=0.05)
    assert final.rows_share == share and final.model == default.config
    # a network in it would train its trial's time scaled to the refit's rows
    assert refits.training == pytest.approx([10.8 * share * 750_000 / 20_100])
    # Too little time for twice the search's rows: nothing is held back (the search
    # runs to its end), and the search-time model serves.
    finisher = _finisher(y, splits, Budget(20), "best", train_rows=20_100, all_rows=750_000)
    assert finisher.reserve([default]) == 0.0
    refits = _Recorder()
    final = finisher.finish(history, refits, lambda c: c, "dummy")
    assert refits.asked == [] and final.model == "default, searched"
    # Small data (all rows less than twice a trial's): a refit that can still finish
    # is held back in full; one that cannot is held back only when no search-time
    # model of the trial would serve instead (nothing is lost by trying it then).
    finisher = _finisher(y, splits, Budget(300), "best", train_rows=20_100, all_rows=30_000)
    assert finisher.reserve([default]) == finisher._refit_estimate(default)
    long = dataclasses.replace(default, fit_seconds=1000.0)
    assert finisher.reserve([long]) == 0.0
    assert finisher.reserve([dataclasses.replace(long, model=None)]) == \
        finisher._refit_estimate(long)


def test_a_time_bounded_trials_refit_is_held_back_near_its_bound():
    """A network's refit trains for its trial's training time scaled to the rows
    (``training_seconds``): the search holds back that bound and a little, not the
    margin of a model whose refit time nobody bounds."""
    from automl_estimators.budget import (
        BOUNDED_REFIT_SAFETY,
        REFIT_OVERHEAD,
        REFIT_SAFETY,
        estimate_refit_seconds,
    )
    from automl_estimators.trial import TIME_BOUNDED

    y, splits = _problem()
    trial = dataclasses.replace(_history(y, splits, [[0.9] * 5])[1], fit_seconds=50.0)
    network = dataclasses.replace(trial, info={TIME_BOUNDED: True})
    finisher = _finisher(y, splits, Budget(300), "best", train_rows=1000, all_rows=1500)
    assert finisher._refit_estimate(trial) == pytest.approx(75.0 * REFIT_SAFETY + REFIT_OVERHEAD)
    assert finisher._refit_estimate(network) == \
        pytest.approx(75.0 * BOUNDED_REFIT_SAFETY + REFIT_OVERHEAD)
    assert finisher.reserve([network]) < finisher.reserve([trial])
    assert finisher._training_seconds(network) == pytest.approx(75.0)
    assert 1.0 < BOUNDED_REFIT_SAFETY < REFIT_SAFETY
    assert estimate_refit_seconds(50.0, 1000, 1500, overhead=0.0, time_bounded=True) == \
        pytest.approx(75.0 * BOUNDED_REFIT_SAFETY)


def test_parallel_seconds_is_the_longest_first_makespan():
    from automl_estimators.budget import parallel_seconds

    assert parallel_seconds([], 2) == 0.0
    assert parallel_seconds([3.0], 4) == 3.0
    assert parallel_seconds([4.0, 3.0, 3.0], 2) == 6.0  # 4 | 3 + 3
    assert parallel_seconds([1.0, 1.0, 10.0], 2) == 10.0  # 10 | 1 + 1
    assert parallel_seconds([2.0, 2.0, 2.0], 1) == 6.0
    assert parallel_seconds([2.0, 2.0, 2.0, 2.0], 2) == 4.0


def _ensembling(y, splits, budget, n_workers):
    return _finisher(y, splits, budget, "best", ensemble_size=20, n_workers=n_workers)


def test_while_the_workers_are_not_up_the_reserve_is_a_refit_in_this_process():
    """A fit of a second: a worker's refit (its overhead alone) cannot finish in the
    time left, so with the workers up nothing is held back and the search-time
    model serves; while they are not up, the refit would run in the fit's own
    process with no overhead, and the search holds back what that needs."""
    from automl_estimators.budget import estimate_refit_seconds

    y, splits = _problem()
    results = _history(y, splits, [[0.9] * 5])
    best = dataclasses.replace(results[2], fit_seconds=0.2, model="fitted during search")
    ranked = [best, results[1], results[0]]
    budget = Budget(1.0)
    up, down = (_finisher(y, splits, Budget(1.0, workers_up=ready), "best")
                for ready in (lambda: True, lambda: False))
    assert up._refit_estimate(best) > budget.remaining()
    assert up.reserve(ranked) == 0.0
    here = estimate_refit_seconds(0.2, 80, 100, overhead=0.0)
    assert down.reserve(ranked) == pytest.approx(here)
    assert _finisher(y, splits, budget, "best").reserve(ranked) == 0.0  # no callable: up


def test_while_the_workers_are_not_up_a_refit_here_may_take_all_the_time_left():
    """A refit in the fit's own process is expected from its trial's measured fit
    (with REFIT_SAFETY): it may take what is left, not a share of it as a trial
    run there does, and while the workers are not up the budget keeps only the
    margin their close needs then (none: it does not wait for them)."""
    from automl_estimators.budget import (
        SHUTDOWN_MARGIN,
        STARTING_SHUTDOWN_MARGIN,
        estimate_refit_seconds,
    )

    class _Starting(_Recorder):
        def ready(self, timeout=0.0):
            return False

        def refit_here(self, pipeline, training_seconds=None):
            self.asked.append(("here", pipeline))
            return Refit(pipeline, 0.0)

    y, splits = _problem()
    up = [True]
    budget = Budget(1.0, workers_up=lambda: up[0])
    assert budget.shutdown_margin() == SHUTDOWN_MARGIN
    up[0] = False
    assert budget.shutdown_margin() == STARTING_SHUTDOWN_MARGIN
    assert 1.0 - budget.remaining() == pytest.approx(STARTING_SHUTDOWN_MARGIN, abs=0.05)
    # a refit expected at 90 % of the time left: it runs here
    fit_seconds = 0.9 * budget.remaining() / estimate_refit_seconds(1.0, 80, 100, overhead=0.0)
    results = _history(y, splits, [[0.9] * 5])
    history = _kept((results[0], results[1], dataclasses.replace(
        results[2], fit_seconds=fit_seconds, model="fitted during search")))
    refits = _Starting()
    final = _finisher(y, splits, budget, "best").finish(history, refits, lambda c: c, "dummy")
    assert refits.asked == [("here", {"model": "m2"})]
    assert final.model == {"model": "m2"} and final.chosen.trial_id == 2


def test_the_reserve_for_the_best_s_refit_holds_as_the_search_time_ends():
    """Whether the best trial's refit can still finish is read at the time its trial
    ended: the search stops when the time left is that refit's reserve, so read as
    time passes, it would turn to no just as the search ends (by however late the
    loop woke), the reserve would drop to nothing and the search run on into the
    time held for the refit (seen once the loop stopped holding a poll beside it)."""
    from automl_estimators.budget import SHUTDOWN_MARGIN

    y, splits = _problem()
    results = _history(y, splits, [[0.9] * 5])
    best = dataclasses.replace(results[2], fit_seconds=0.5, model="fitted during search",
                               started_at=6.0, duration=1.0)
    budget = Budget(10.0, start=time.monotonic() - 9.0)  # 0.7 s left now
    finisher = _finisher(y, splits, budget, "best")
    once = finisher._refit_estimate(best)
    assert budget.remaining() < once < 10.0 - 7.0 - SHUTDOWN_MARGIN
    assert finisher.reserve([best, results[1], results[0]]) == pytest.approx(once)
    # a best that ended with less left than its refit needs: its search-time model
    # serves, nothing is held back (and, without that model, its refit is tried)
    late = dataclasses.replace(best, started_at=8.0)  # ended with 0.7 s left
    assert finisher.reserve([late, results[1], results[0]]) == 0.0
    assert finisher.reserve([dataclasses.replace(late, model=None), results[1],
                             results[0]]) == pytest.approx(once)


def test_the_ensemble_reserve_is_the_parallel_refit_of_the_likely_members():
    """When ensembling, the search holds back the refit of the few best trials, in
    parallel on the workers, and ensemble selection's share beside it: cheap
    runners-up cost little, equal ones a wave per n_jobs of them; one model (no
    ensemble) holds back one refit; the excess stays within its share of the budget."""
    from automl_estimators.finish import (
        ENSEMBLE_LIKELY_MEMBERS,
        ENSEMBLE_RESERVE_SHARE,
        ENSEMBLE_SELECTION_SHARE,
    )

    y, splits = _problem()
    results = _history(y, splits, [[0.9] * 5, [0.85] * 5, [0.85] * 5, [0.85] * 5, [0.82] * 5])
    ranked = sorted(results, key=lambda r: (-r.score, r.trial_id))
    assert ranked[-1].origin == "dummy"

    def timed(seconds):
        return [dataclasses.replace(r, fit_seconds=s) for r, s in zip(ranked, seconds)]

    budget = Budget(300)
    finisher = _ensembling(y, splits, budget, n_workers=2)
    once = finisher._refit_estimate(timed([4.0])[0])
    selection = 1.0 - ENSEMBLE_SELECTION_SHARE
    # Cheap runners-up: the best's refit and selection's share.
    cheap = timed([4.0, 0.01, 0.01, 0.01, 0.01, 0.01])
    assert finisher.reserve(cheap) == pytest.approx(once / selection)
    # Equal runners-up: two waves of two on two workers; the fifth is not counted.
    equal = timed([4.0] * 6)
    assert ENSEMBLE_LIKELY_MEMBERS == 4
    assert finisher.reserve(equal) == pytest.approx(2 * once / selection)
    assert _ensembling(y, splits, budget, n_workers=1).reserve(equal) == \
        pytest.approx(4 * once / selection)
    # One model: one refit, whatever the others cost.
    assert _finisher(y, splits, budget, "best").reserve(equal) == pytest.approx(once)
    # The excess over one refit keeps within its share of the budget.
    small = _ensembling(y, splits, Budget(20), n_workers=1)
    assert small.reserve(equal) == pytest.approx(once + ENSEMBLE_RESERVE_SHARE * 20)
    # Only the dummy, or the dummy first: nothing to refit; the dummy among the
    # best is no member (four others are counted: one worker, four refits).
    dummy = ranked[-1]
    assert finisher.reserve([dummy]) == 0.0 and finisher.reserve([]) == 0.0
    assert finisher.reserve([dummy] + equal[:2]) == 0.0
    one = _ensembling(y, splits, budget, n_workers=1)
    assert one.reserve(equal[:2] + [dummy] + equal[2:5]) == pytest.approx(4 * once / selection)


def test_the_ensemble_reserve_is_that_of_the_rule_s_choice_where_the_guess_holds_back_much(
        monkeypatch):
    """Where the guess (the few best trials' refits) holds back seconds more than one
    refit, the search holds back what the choice the rule makes from the trials so
    far needs: one refit when it ends on one trial, its members' when on an
    ensemble; never more than the guess. The choice is made again only when trials
    were added, and a choice cut short by its deadline says nothing."""
    from automl_estimators import finish

    y, splits = _problem()
    # Trials right on the same rows (a blend adds nothing): the rule ends on the best.
    nested = _history(y, splits, [[0.9] * 5, [0.85] * 5, [0.85] * 5, [0.85] * 5])
    # Two trials right on different rows: their blend beats both.
    apart = _history(y, splits, [[(0.85, 0)] * 5, [(0.85, 3)] * 5, [0.8] * 5, [0.8] * 5])

    def timed(results, seconds=4.0):
        return [r if r.origin == "dummy" else dataclasses.replace(r, fit_seconds=seconds)
                for r in results]

    def ranked(results):
        return sorted(results, key=lambda r: (-r.score, r.trial_id))

    calls = []
    choose = finish.choose_final
    monkeypatch.setattr(finish, "choose_final", lambda *a, **k: calls.append(1) or choose(*a, **k))
    monkeypatch.setattr(finish, "CONFIRM_LOOP_SHARE", np.inf)  # no wait between choices
    budget = Budget(300)
    selection = 1.0 - finish.ENSEMBLE_SELECTION_SHARE
    results = timed(nested)
    finisher = _ensembling(y, splits, budget, n_workers=2)
    once = finisher._refit_estimate(results[2])
    guess = finisher.reserve(ranked(results))
    assert guess == pytest.approx(2 * once / selection) and guess - once >= 2.0
    assert not calls  # no results, no choice
    assert finisher.reserve(ranked(results), results) == pytest.approx(once)
    assert finisher.reserve(ranked(results), results) == pytest.approx(once)
    assert len(calls) == 1  # the same trials: the same choice
    # An ensemble of two, refit together on two workers.
    results = timed(apart)
    finisher = _ensembling(y, splits, budget, n_workers=2)
    assert finisher.reserve(ranked(results), results) == pytest.approx(once / selection)
    assert len(calls) == 2
    # ... one at a time on one worker (the guess: four in a row).
    one = _ensembling(y, splits, budget, n_workers=1)
    assert one.reserve(ranked(results), results) == pytest.approx(2 * once / selection)
    # Trials added: the choice is made again.
    more = results + [dataclasses.replace(results[-1], trial_id=9)]
    assert finisher.reserve(ranked(more), more) == pytest.approx(once / selection)
    assert len(calls) == 4
    # ... unless making the last took more than its share of the time since: the
    # last choice's reserve stands.
    monkeypatch.setattr(finish, "CONFIRM_LOOP_SHARE", 1e-9)
    single = [r for r in more if r.trial_id != 3]  # the ensemble's second member gone
    assert finisher.reserve(ranked(single), single) == pytest.approx(once / selection)
    assert len(calls) == 4
    monkeypatch.setattr(finish, "CONFIRM_LOOP_SHARE", np.inf)
    assert finisher.reserve(ranked(single), single) == pytest.approx(once)
    assert len(calls) == 5
    # Cheap trials: the guess holds back under CONFIRM_MIN_SECONDS more, and stands.
    cheap = timed(nested, seconds=0.3)
    cheap_once = finisher._refit_estimate(cheap[2])
    cheap_guess = 2 * cheap_once / selection
    monkeypatch.setattr(finish, "CONFIRM_MIN_SECONDS", cheap_guess - cheap_once + 0.01)
    assert _ensembling(y, splits, budget, 2).reserve(ranked(cheap), cheap) == pytest.approx(
        cheap_guess)
    assert len(calls) == 5
    monkeypatch.setattr(finish, "CONFIRM_MIN_SECONDS", cheap_guess - cheap_once - 0.01)
    assert _ensembling(y, splits, budget, 2).reserve(ranked(cheap), cheap) == pytest.approx(
        cheap_once)
    assert len(calls) == 6
    # A best that came in after the last choice (which stands: made again too
    # soon): its one refit at least, which that choice did not know.
    results = timed(nested)
    fresh = _ensembling(y, splits, budget, n_workers=2)
    assert fresh.reserve(ranked(results), results) == pytest.approx(once)
    monkeypatch.setattr(finish, "CONFIRM_LOOP_SHARE", 1e-9)
    best = max(results, key=lambda r: r.score)
    heavy = dataclasses.replace(best, trial_id=10, score=best.score + 0.01, fit_seconds=40.0)
    assert fresh.reserve(ranked(results + [heavy]), results + [heavy]) == pytest.approx(
        fresh._refit_estimate(heavy))
    assert fresh._refit_estimate(heavy) > 2 * once
    assert len(calls) == 7
    monkeypatch.setattr(finish, "CONFIRM_LOOP_SHARE", np.inf)
    # A choice cut short by its deadline: the guess.
    monkeypatch.setattr(finish, "CONFIRM_SECONDS", 0.0)
    results = timed(nested)
    assert _ensembling(y, splits, budget, 2).reserve(ranked(results), results) == \
        pytest.approx(guess)
    # One model: one refit, no choice made.
    assert _finisher(y, splits, budget, "best").reserve(ranked(results), results) == \
        pytest.approx(once)
    assert len(calls) == 8


class _OrderedRefits(_Refits):
    """Refits that record the order the pipelines were given in; the ones named in
    ``failing`` do not finish."""

    def __init__(self, failing=()):
        self.order, self.failing, self.single = [], failing, []

    def refit_many(self, pipelines, timeout, n_threads=1, fidelity=1.0, training_seconds=None):
        self.order = list(pipelines)
        return [Refit(None, error="timeout") if p["model"] in self.failing else
                Refit(dict(p, refit="together"), 0.0) for p in pipelines]

    def refit(self, pipeline, timeout, n_threads=1, fidelity=1.0, training_seconds=None):
        self.single.append(pipeline)
        return Refit(dict(pipeline, refit="alone"), 0.0)

    def ready(self, timeout=0.0):
        return True


def _three_members(y, splits):
    """A chosen ensemble of trials 2, 3, 4 (weights 0.5, 0.3, 0.2) whose refits take
    0.5, 0.01 and 5 s: longest first is 4, 2, 3, a cycle of all three."""
    from automl_estimators.selection import Choice

    results = _history(y, splits, [[0.9] * 5, [0.85] * 5, [0.85] * 5])
    for i, seconds in zip((2, 3, 4), (0.5, 0.01, 5.0)):
        results[i] = dataclasses.replace(results[i], fit_seconds=seconds)
    choice = Choice(tuple(results[2:]), np.array([0.5, 0.3, 0.2]), 0.95, results[2], "test")
    return results, choice


def test_ensemble_members_are_refit_longest_first_and_kept_in_their_order():
    """The workers take the members in turn, so the longest go first (as the reserve
    counts them); each member keeps its own refit and weight, in the choice's order."""
    y, splits = _problem()
    _, choice = _three_members(y, splits)
    refits = _OrderedRefits()
    final = _ensembling(y, splits, Budget(60), n_workers=2)._ensemble(
        choice, refits, lambda config: config, {}, 1)
    assert [m["model"] for m in refits.order] == ["m4", "m2", "m3"]
    assert [trial_id for trial_id, _ in final.members] == [2, 3, 4]
    assert [name for name, _ in final.model.estimators] == ["trial_2", "trial_3", "trial_4"]
    assert [m["model"] for m in final.model.members_] == ["m2", "m3", "m4"]
    np.testing.assert_allclose([w for _, w in final.members], [0.5, 0.3, 0.2])


def test_while_the_workers_are_not_up_the_members_are_refit_here_one_at_a_time():
    """Trials run in the fit's own process while the workers start can make an
    ensemble: its members are refit there, the single choice first, those whose
    refits here are expected within INLINE_MAX_SECONDS (the 5 s member is dropped),
    rather than waiting for the workers until the time is out."""
    from automl_estimators.plan import INLINE_MAX_SECONDS


    class _Starting(_OrderedRefits):
        def ready(self, timeout=0.0):
            return False

        def refit_here(self, pipeline, training_seconds=None):
            self.single.append(pipeline)
            return Refit(dict(pipeline, refit="here"), 0.0)

    y, splits = _problem()
    _, choice = _three_members(y, splits)
    finisher = _ensembling(y, splits, Budget(60, workers_up=lambda: False), n_workers=2)
    assert sum(finisher._here_estimate(t) for t in choice.trials) > INLINE_MAX_SECONDS
    # the 5 s member's refit is 0.05 s now: all three are refit here
    choice = dataclasses.replace(choice, trials=choice.trials[:2] + (dataclasses.replace(
        choice.trials[2], fit_seconds=0.05),))
    refits = _Starting()
    final = finisher._ensemble(choice, refits, lambda config: config, {}, 1)
    assert refits.order == []  # no worker asked
    assert [m["model"] for m in refits.single] == ["m2", "m3", "m4"]
    assert [trial_id for trial_id, _ in final.members] == [2, 3, 4]
    assert all(m["refit"] == "here" for m in final.model.members_)


def test_a_member_refit_serves_the_single_choice_when_the_ensemble_is_not_kept():
    """Two of the three members do not finish: the ensemble is not kept, and the single
    choice's refit among the members serves; it is not refit a second time."""
    y, splits = _problem()
    results, choice = _three_members(y, splits)
    history = _kept(results)
    finisher = _ensembling(y, splits, Budget(60), n_workers=2)
    refits = _OrderedRefits(failing=("m3", "m4"))
    done = {}
    assert finisher._ensemble(choice, refits, lambda config: config, done, 1) is None
    assert done == {2: {"model": "m2", "refit": "together"}}
    final = finisher._refit(history, refits, lambda config: config, "dummy", 1,
                            first=choice.single, done=done)
    assert final.chosen.trial_id == 2 and final.model == {"model": "m2", "refit": "together"}
    assert refits.single == []


class _EarlyRefits(_OrderedRefits):
    """Refits as :class:`_OrderedRefits`, and those started early (``start_refit``)
    recorded: started, collected, stopped."""

    def __init__(self, failing=()):
        super().__init__(failing)
        self.started, self.collected, self.stopped = [], [], []

    def start_refit(self, pipeline, timeout, n_threads=1, fidelity=1.0,
                    training_seconds=None):
        self.started.append((pipeline["model"], n_threads))
        return pipeline

    def refit_outcome(self, handle, wait):
        self.collected.append(handle["model"])
        return Refit(dict(handle, refit="early"), 0.0)

    def stop_refit(self, handle):
        self.stopped.append(handle["model"])


def test_a_refit_started_early_serves_the_choice_that_holds_its_trial():
    """The loop starts the best trial's refit while it waits for the strong default
    (Finisher.refit_early): when the rule's choice is that trial, or an ensemble
    that holds it, the fit ends on that refit, not refit again; otherwise it is
    stopped, and its worker freed for the choice's refit."""
    y, splits = _problem()
    # trial 2 clearly beats the default (trial 1): "one_se" chooses it
    history = _kept(_history(y, splits, [[0.95] * 5]))
    finisher = _finisher(y, splits, Budget(60), "one_se", n_workers=2)
    refits = _EarlyRefits()
    finisher.refit_early(history, refits, lambda config: config)
    finisher.refit_early(history, refits, lambda config: config)  # once only
    assert refits.started == [("m2", 1)]  # one thread: the default's trial holds the other
    final = finisher.finish(history, refits, lambda config: config, "dummy")
    assert final.chosen.trial_id == 2 and final.model == {"model": "m2", "refit": "early"}
    assert refits.collected == ["m2"] and refits.single == [] and refits.stopped == []

    # trial 2 beats the default on the mean but within the noise: the default is
    # chosen, and its refit (0.1 s a fold) is expected in time
    results = _history(y, splits, [[0.9, 0.75, 0.85, 0.75, 0.85]])
    results[1] = dataclasses.replace(results[1], fit_seconds=0.1)
    history = _kept(results)
    finisher = _finisher(y, splits, Budget(60), "one_se", n_workers=2)
    refits = _EarlyRefits()
    finisher.refit_early(history, refits, lambda config: config)
    final = finisher.finish(history, refits, lambda config: config, "dummy")
    assert refits.started == [("m2", 1)] and refits.stopped == ["m2"]
    assert final.chosen.trial_id == 1 and final.model == {"model": "m1", "refit": "alone"}

    # ... and when the default's refit cannot finish in the time left and its model
    # is not held (the history keeps the best's), the fit falls back on trial 2: its
    # early refit serves (letter, 10 s: it was stopped, and random forest's model as
    # fitted during search served, test 0.9486)
    results = _history(y, splits, [[0.9, 0.75, 0.85, 0.75, 0.85]])
    results[1] = dataclasses.replace(results[1], fit_seconds=100.0)
    results[2] = dataclasses.replace(results[2], model="fitted during search")
    finisher = _finisher(y, splits, Budget(60), "one_se", n_workers=2)
    refits = _EarlyRefits()
    finisher.refit_early(_kept(results), refits, lambda config: config)
    final = finisher.finish(_kept(results), refits, lambda config: config, "dummy")
    assert refits.collected == ["m2"] and refits.stopped == [] and refits.single == []
    assert final.chosen.trial_id == 2 and final.model == {"model": "m2", "refit": "early"}

    # an ensemble that holds it: its other members are refit, it is not again
    results, choice = _three_members(y, splits)
    finisher = _ensembling(y, splits, Budget(60), n_workers=2)
    refits = _EarlyRefits()
    finisher.refit_early(_kept(results), refits, lambda config: config)
    assert refits.started == [("m2", 1)]
    done = {}
    finisher._collect_early(choice, refits, done)
    final = finisher._ensemble(choice, refits, lambda config: config, done, 1)
    assert [m["model"] for m in refits.order] == ["m4", "m3"]
    assert [m["refit"] for m in final.model.members_] == ["early", "together", "together"]


def test_no_refit_starts_early_when_it_cannot_end_in_time_or_on_large_data():
    y, splits = _problem()
    results = _history(y, splits, [[0.95] * 5])
    results[2] = dataclasses.replace(results[2], fit_seconds=5.0)
    finisher = _finisher(y, splits, Budget(2), "one_se", n_workers=2)
    refits = _EarlyRefits()
    finisher.refit_early(_kept(results), refits, lambda config: config)
    assert refits.started == []
    # nothing better than the dummy: nothing to refit
    results = _history(y, splits, [], default=(0.4,) * 5)
    finisher = _finisher(y, splits, Budget(60), "one_se", n_workers=2)
    finisher.refit_early(_kept(results), refits, lambda config: config)
    assert refits.started == []
    # large data (the search ran on a sample): a refit on all rows beside the
    # default's trial would hold both in memory
    results = _history(y, splits, [[0.95] * 5])
    finisher = _finisher(y, splits, Budget(60), "one_se", n_workers=2, train_rows=80,
                         all_rows=1000)
    finisher.refit_early(_kept(results), refits, lambda config: config)
    assert refits.started == []


def test_an_ensemble_whose_heavy_member_cannot_be_refit_in_time_keeps_its_light_members():
    """The choice's second member by weight has a long refit: no set of its members of
    most weight can be refit in the time left, but the two others can, and their
    blend beats the single choice: they are refit, and the ensemble is theirs."""
    from automl_estimators.selection import Choice

    y, splits = _problem()
    # Trials 2 and 4 right on different rows: their blend is right where either is.
    results = _history(y, splits, [[(0.85, 0)] * 5, [0.8] * 5, [(0.85, 3)] * 5])
    light, heavy, other = (dataclasses.replace(results[2], fit_seconds=0.01),
                           dataclasses.replace(results[3], fit_seconds=5.0),
                           dataclasses.replace(results[4], fit_seconds=0.01))
    choice = Choice((light, heavy, other), np.array([0.36, 0.34, 0.30]), 0.99, light, "test")
    finisher = _ensembling(y, splits, Budget(3), n_workers=2)
    assert finisher._refit_estimate(heavy) > 3 > 2 * finisher._refit_estimate(light)
    refits = _OrderedRefits()
    final = finisher._ensemble(choice, refits, lambda config: config, {}, 1)
    assert sorted(m["model"] for m in refits.order) == ["m2", "m4"]
    assert [trial_id for trial_id, _ in final.members] == [2, 4]
    np.testing.assert_allclose([w for _, w in final.members], [0.36 / 0.66, 0.30 / 0.66])
    assert final.score > light.score


class _RecordedRefits(_OrderedRefits):
    """Refits that record every call: the pipelines and threads each was given."""

    def __init__(self):
        super().__init__()
        self.calls, self.training = [], []

    def refit_many(self, pipelines, timeout, n_threads=1, fidelity=1.0, training_seconds=None):
        self.calls.append(([p["model"] for p in pipelines], n_threads))
        self.training.extend(training_seconds)
        return super().refit_many(pipelines, timeout, n_threads, fidelity)


def test_on_large_data_ensemble_members_are_refit_one_at_a_time():
    """Where the search ran on a sample (all rows many times a trial's), each member's
    refit holds its own encoding of all rows: the members are refit one after
    another, the single choice first (its refit serves if the ensemble is not
    kept), each with all threads, none started once the time is out, and the
    reserve counts them so; on small data they go to the workers together,
    longest first."""
    import time

    from automl_estimators.finish import _refit_members

    y, splits = _problem()
    _, choice = _three_members(y, splits)

    def finisher(all_rows):
        return dataclasses.replace(
            _finisher(y, splits, Budget(3000), "best", all_rows=all_rows, ensemble_size=20,
                      n_workers=2), n_threads=2)

    large, small = finisher(all_rows=1000), finisher(all_rows=100)
    refits = _RecordedRefits()
    final = large._ensemble(choice, refits, lambda config: config, {}, 2)
    assert choice.single.trial_id == 2
    assert refits.calls == [(["m2"], 2), (["m3"], 2), (["m4"], 2)]
    # a network among them trains its trial's time scaled to all rows (1000 / 80)
    assert refits.training == pytest.approx([0.5 * 12.5, 0.01 * 12.5, 5.0 * 12.5])
    assert [trial_id for trial_id, _ in final.members] == [2, 3, 4]
    assert [m["model"] for m in final.model.members_] == ["m2", "m3", "m4"]
    refits = _RecordedRefits()
    small._ensemble(choice, refits, lambda config: config, {}, 2)
    assert refits.calls == [(["m4", "m2", "m3"], 1)]
    # Where the workers had one core in all (refit_threads), each member gets one.
    refits = _RecordedRefits()
    large._ensemble(choice, refits, lambda config: config, {}, 1)
    assert refits.calls == [(["m2"], 1), (["m3"], 1), (["m4"], 1)]
    refits = _RecordedRefits()
    late = _refit_members(refits, [{"model": "m2"}, {"model": "m3"}], 1,
                          deadline=time.monotonic() - 1.0, n_threads=2,
                          training_seconds=[None, None])
    assert refits.calls == [] and [r.model for r in late] == [None, None]
    assert "not started" in late[0].error
    # The reserve (its cap far off): the members' refits in a row on large data,
    # on two workers at once on small data.
    from automl_estimators.budget import parallel_seconds
    from automl_estimators.finish import ENSEMBLE_SELECTION_SHARE

    ranked = sorted(choice.trials, key=lambda t: (-t.score, t.trial_id))
    for finisher, members in ((large, sum), (small, lambda s: parallel_seconds(s, 2))):
        estimates = [finisher._refit_estimate(t) for t in ranked]
        assert sum(estimates) > parallel_seconds(estimates, 2)  # the two ways differ
        assert finisher.reserve(ranked) == pytest.approx(
            members(estimates) / (1 - ENSEMBLE_SELECTION_SHARE))


class _ThreadsOfRefits(_Refits):
    """Refits that record the threads each was given."""

    def __init__(self):
        self.threads = []

    def refit(self, pipeline, timeout, n_threads=1, fidelity=1.0, training_seconds=None):
        self.threads.append(n_threads)
        return Refit(pipeline, 0.0)

    def ready(self, timeout=0.0):
        return True


def test_refits_get_fewer_threads_where_the_search_s_workers_did_not_have_their_cores():
    """Two workers on two cores beside two busy programs had half a core each: a refit
    on two threads would wait at every OpenMP barrier for a thread that is not
    running (about 3x and 5.5x slower than on one: benchmarks/results/omp_under_load.md), so it
    gets one. Where the workers had their cores, ``n_jobs`` threads; where nothing
    was measured, too. (Two busy processes beside two workers measured 0.99-1.02
    cores in all; with one busy process, 0.67 a core each is reasoned, not measured,
    and there two threads fitted 33x slower than one.)"""
    from automl_estimators.finish import CONTENTION_TRIALS, cores_had, refit_threads
    from automl_estimators.trial import CPU_SHARE

    y, splits = _problem()
    results = _history(y, splits, [[0.9] * 5, [0.85] * 5])

    def measured(share, seconds=1.0, trials=results):
        return [dataclasses.replace(r, fit_seconds=seconds, info={CPU_SHARE: share})
                for r in trials[1:]]

    assert cores_had(results, 2) is None and refit_threads(None, 2) == 2
    assert refit_threads(cores_had(measured(0.95), 2), 2) == 2
    assert refit_threads(cores_had(measured(0.5), 2), 2) == 1
    assert refit_threads(cores_had(measured(0.67), 2), 2) == 1  # one busy program
    assert refit_threads(cores_had(measured(0.75), 8), 8) == 6
    assert refit_threads(cores_had(measured(0.01), 8), 8) == 1
    assert cores_had(measured(1.4), 2) == 2.0  # a library's own threads: at most a core
    assert cores_had(measured(1.4) + measured(0.5), 2) == pytest.approx(1.5)  # each
    # Weighted by fit seconds; the last CONTENTION_TRIALS only; failed trials not.
    assert cores_had(measured(1.0, 9.0) + measured(0.1, 1.0), 2) == pytest.approx(
        2 * (9 * 1.0 + 1 * 0.1) / 10)
    one = measured(0.2)[:1]
    assert cores_had(one + (measured(1.0) * CONTENTION_TRIALS)[:CONTENTION_TRIALS], 2) == 2.0
    assert cores_had(one + (measured(1.0) * CONTENTION_TRIALS)[:CONTENTION_TRIALS - 1],
                     2) == pytest.approx(2 * (0.2 + CONTENTION_TRIALS - 1) / CONTENTION_TRIALS)
    crashed = [dataclasses.replace(r, status=Status.CRASH) for r in measured(0.1)]
    assert cores_had(measured(1.0) + crashed, 2) == 2.0
    # The finishing step: its refit gets the threads the workers had.
    for share, threads in ((0.5, [1]), (1.0, [2])):
        history = _kept(results[:1] + measured(share))
        finisher = dataclasses.replace(_finisher(y, splits, Budget(60), "best", n_workers=2),
                                       n_threads=2)
        refits = _ThreadsOfRefits()
        finisher.finish(history, refits, lambda config: config, "dummy")
        assert refits.threads == threads
