"""Properties of the data layer over generated inputs (hypothesis): no fit, so many
examples stay fast."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from automl_estimators import data

SETTINGS = settings(max_examples=40, deadline=None)

finite_or_missing = st.one_of(st.floats(allow_nan=True, allow_infinity=False, width=64),
                              st.just(np.nan))


@SETTINGS
@given(arrays(np.float64, st.tuples(st.integers(2, 12), st.integers(1, 6)),
              elements=finite_or_missing), st.data())
def test_infinity_anywhere_is_named_by_its_column(X, draw):
    assert data.check_X(X).shape == X.shape  # NaN is allowed
    row = draw.draw(st.integers(0, X.shape[0] - 1))
    column = draw.draw(st.integers(0, X.shape[1] - 1))
    X = X.copy()
    X[row, column] = draw.draw(st.sampled_from([np.inf, -np.inf]))
    for form in (X, pd.DataFrame(X, columns=[f"c{j}" for j in range(X.shape[1])])):
        with pytest.raises(ValueError, match="Input X contains infinity in column"):
            data.check_X(form)


labels = st.one_of(
    st.lists(st.integers(-3, 3), min_size=2, max_size=30),
    st.lists(st.sampled_from(["a", "b", "c", "é", "a b"]), min_size=2, max_size=30),
    st.lists(st.booleans(), min_size=2, max_size=30),
    st.lists(st.integers(0, 4).map(float), min_size=2, max_size=30),
)


@SETTINGS
@given(labels)
def test_class_labels_round_trip_or_one_class_is_rejected(y):
    X = np.zeros((len(y), 1))
    if len(set(y)) < 2:
        with pytest.raises(ValueError, match="at least 2 classes"):
            data.check_y_classification(X, y, "AutoClassifier")
        return
    encoded, classes = data.check_y_classification(X, y, "AutoClassifier")
    assert list(classes) == sorted(set(y))
    assert classes[encoded].tolist() == list(y)


columns = st.sampled_from(["numbers", "text", "few_levels", "many_levels", "bools",
                           "empty", "dates", "digit_text"])


@SETTINGS
@given(st.lists(columns, min_size=1, max_size=8), st.integers(2, 80))
def test_every_column_has_exactly_one_kind(kinds, n_rows):
    rng = np.random.default_rng(n_rows)
    make = {
        "numbers": lambda: rng.normal(size=n_rows),
        "text": lambda: rng.choice(["x", "y", None], size=n_rows),
        "few_levels": lambda: pd.Categorical(rng.choice(["p", "q"], size=n_rows)),
        "many_levels": lambda: [f"id{i}" for i in range(n_rows)],
        "bools": lambda: rng.choice([True, False], size=n_rows),
        "empty": lambda: np.full(n_rows, np.nan),
        "dates": lambda: pd.date_range("2021-01-01", periods=n_rows, freq="D"),
        "digit_text": lambda: rng.integers(0, 9, size=n_rows).astype(str).astype(object),
    }
    X = pd.DataFrame({f"{kind}{j}": make[kind]() for j, kind in enumerate(kinds)})
    if set(kinds) == {"empty"}:
        with pytest.raises(ValueError, match="no observed values"):
            data.profile(data.check_X(X), np.arange(n_rows) % 2, "classification")
        return
    profile = data.profile(data.check_X(X), np.arange(n_rows) % 2, "classification")
    groups = (profile.numeric, profile.categorical, profile.high_cardinality, profile.empty)
    assert sorted(name for group in groups for name in group) == sorted(X.columns)
    for name in X.columns:
        if name.startswith(("numbers", "bools", "dates")):
            assert name in profile.numeric
        if name.startswith("empty"):
            assert name in profile.empty


@settings(max_examples=30, deadline=None)
@given(n_numbers=st.integers(0, 250), n_rows=st.integers(2, 260),
       word=st.sampled_from(["abc", "1,5", "one", "nan?"]))
def test_a_text_column_is_numbers_only_when_every_present_value_is(n_numbers, n_rows, word):
    """The sample parsed first (data.NUMBERS_SAMPLE values) never changes the outcome:
    a column whose only non-number comes after the sample stays text."""
    values = [str(i * 0.5) for i in range(n_rows)]
    if n_numbers < n_rows:
        values[n_numbers] = word
    values[::7] = [None] * len(values[::7])
    X = data.check_X(pd.DataFrame({"x": pd.Series(values, dtype=object)}))
    all_numbers = all(v is None or v != word for v in values)
    assert (X["x"].dtype == float) == all_numbers
    if all_numbers:
        expected = [np.nan if v is None else float(v) for v in values]
        np.testing.assert_array_equal(X["x"].to_numpy(), expected)


def test_object_labels_of_two_kinds_are_rejected_however_many_rows():
    y = np.array(["a"] * 5000 + [1] * 5000, dtype=object)
    with pytest.raises(ValueError, match="Mix of label input types"):
        data.check_y_classification(np.zeros((10000, 1)), y, "AutoClassifier")
    y = np.array(["a", 1.0, float("inf")], dtype=object)
    with pytest.raises(ValueError, match="infinity"):
        data.check_y_classification(np.zeros((3, 1)), y, "AutoClassifier")
