"""The bad-input matrix: every case ends in a clear error or a correct fit.

docs/reliability.md ("Bad inputs") lists these cases and their outcomes. An
error names the problem and the fix; a fit leaks no library warning and
predicts sensibly. Each case runs for both estimators where it applies.
"""

import datetime
import io

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
from joblib import cpu_count
from sklearn.exceptions import DataConversionWarning

from automl_estimators import AutoClassifier, AutoRegressor
from automl_estimators.data import check_X, check_X_and_dates
from tests.conftest import SLACK_BUDGET

from .conftest import TINY, no_leaked_warnings, numeric_frame, target_for, tiny_fit


def fit_error(estimator_class, X, y, error, match, **params):
    with no_leaked_warnings(), pytest.raises(error, match=match):
        estimator_class(**{**TINY, **params}).fit(X, y)


def check_predictions(estimator, X, y=None):
    """Predictions of the right shape, finite values / known classes."""
    predictions = estimator.predict(X)
    assert predictions.shape == (X.shape[0],)
    if isinstance(estimator, AutoClassifier):
        assert set(predictions) <= set(estimator.classes_)
        proba = estimator.predict_proba(X)
        assert proba.shape == (X.shape[0], len(estimator.classes_))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    else:
        assert np.isfinite(predictions).all()
    return predictions


# ------------------------------------------------------------ X: shape and values
@pytest.mark.parametrize("X, match", [
    (np.empty((0, 3)), "0 sample"),
    (pd.DataFrame({"a": []}), "0 sample"),
    (pd.DataFrame(index=range(5)), "0 feature"),
    (np.ones((1, 3)), "1 sample.*minimum of 2"),
], ids=["empty-array", "empty-frame", "no-columns", "one-row"])
def test_too_little_data_is_rejected(estimator_class, X, match):
    fit_error(estimator_class, X, np.arange(X.shape[0]) % 2, ValueError, match)


def test_two_rows_fit_without_warnings(estimator_class):
    # R² of a one-row validation fold is undefined: the score says so, no warning leaks
    X = np.array([[0.0], [1.0]])
    check_predictions(tiny_fit(estimator_class, X, [0, 1]), X)


def test_one_feature(estimator_class):
    X = numeric_frame(n_columns=1)
    estimator = tiny_fit(estimator_class, X, target_for(estimator_class, X))
    check_predictions(estimator, X)
    assert estimator.n_features_in_ == 1


@pytest.mark.parametrize("form", ["array", "frame", "sparse", "object"])
def test_infinity_in_X_names_the_column(estimator_class, form):
    X = numeric_frame()
    X.iloc[3, 1] = np.inf
    data = {"array": X.to_numpy(), "frame": X, "sparse": sp.csr_matrix(X.to_numpy()),
            "object": X.astype(object)}[form]
    column = "'f1'" if form in ("frame", "object") else "1"
    fit_error(estimator_class, data, target_for(estimator_class, X.fillna(0)), ValueError,
              f"infinity in column\\(s\\) {column}; replace it by NaN")


def test_a_big_endian_frame_fits_as_a_native_one(estimator_class):
    # Found (session 31): pandas cannot take a fold's rows of a big-endian column, so
    # every trial crashed and the fit ended on the dummy without a word.
    X = numeric_frame().fillna(0)
    y = target_for(estimator_class, X)
    estimator = tiny_fit(estimator_class, X.astype(">f8"), y)
    assert (estimator.leaderboard_["status"] == "ok").all()
    assert estimator.refit_ != "dummy"
    np.testing.assert_array_equal(estimator.predict(X.astype(">f8")), estimator.predict(X))


def test_a_complex_column_is_rejected_by_name(estimator_class):
    # Before (session 31): numpy's ComplexWarning leaked, every trial crashed, and
    # the fit ended on the dummy.
    X = numeric_frame().fillna(0)
    fit_error(estimator_class, X.astype({"f1": complex}), target_for(estimator_class, X),
              ValueError, "Complex data not supported: column 'f1'")


@pytest.mark.parametrize("dtype", ["timestamp[s][pyarrow]", "timestamp[us, tz=UTC][pyarrow]",
                                   "date32[day][pyarrow]"])
def test_pyarrow_datetimes_are_read_as_seconds(estimator_class, dtype):
    # Found (session 31): fit and predict raised pyarrow's ArrowInvalid ("Integer
    # value ... not in range") for timestamps, NotImplementedError for dates.
    pytest.importorskip("pyarrow")
    days = pd.Series(pd.date_range("2020-01-01", periods=60, freq="D"))
    X = pd.DataFrame({"day": days, "noise": np.random.RandomState(0).randn(60)})
    y = target_for(estimator_class, pd.DataFrame({"t": np.arange(60) - 30.0}))
    if "tz=" in dtype:
        X["day"] = X["day"].dt.tz_localize("UTC")
    arrow = X.astype({"day": "date32[day][pyarrow]" if "date" in dtype else dtype})
    estimator = tiny_fit(estimator_class, arrow, y)
    assert (estimator.leaderboard_["status"] == "ok").all()
    np.testing.assert_array_equal(estimator.predict(arrow), estimator.predict(X))


@pytest.mark.parametrize("form", ["timedelta64", "python", "pyarrow", "csv text", "iso text"])
def test_durations_are_read_as_seconds(estimator_class, form):
    # Found (session 31): a timedelta column was a high-cardinality category, and a
    # target that its values decide ended on the dummy. Found (session 32): the same
    # for Python timedelta objects (an object column) and pyarrow's duration; (session
    # 51) for the text a CSV holds of them ("0 days 00:16:40", what to_csv writes:
    # the command line's fit and the exported script read such a file).
    seconds = np.random.RandomState(0).randint(0, 1000, 80).astype(float)
    durations = pd.Series(pd.to_timedelta(seconds, unit="s"))
    X = pd.DataFrame({"wait": {
        "timedelta64": durations,
        "python": pd.Series([datetime.timedelta(seconds=v) for v in seconds], dtype=object),
        "pyarrow": durations.astype("duration[s][pyarrow]") if form == "pyarrow" else None,
        "csv text": pd.read_csv(io.StringIO(durations.to_csv(index=False)))["0"],
        "iso text": pd.Series([d.isoformat() for d in durations]),  # 'P0DT0H16M40S'
    }[form]})
    y = target_for(estimator_class, pd.DataFrame({"s": seconds - 500}))
    estimator = tiny_fit(estimator_class, X, y)
    assert "wait" in estimator.profile_.numeric
    expected = tiny_fit(estimator_class, pd.DataFrame({"wait": seconds}),
                        y).predict(pd.DataFrame({"wait": seconds}))
    np.testing.assert_array_equal(estimator.predict(X), expected)
    # and at predict, the same durations in any other of these forms: what a CSV gives
    with no_leaked_warnings():
        as_text = pd.DataFrame({"wait": durations.astype(str)})  # '0 days 00:16:40'
        np.testing.assert_array_equal(estimator.predict(as_text), expected)
        np.testing.assert_array_equal(estimator.predict(pd.DataFrame({"wait": durations})),
                                      expected)


@pytest.mark.parametrize("form", ["python dates", "iso text"])
def test_dates_as_objects_or_text_are_read_as_dates(estimator_class, form):
    """An object column of datetime.date objects (what rows from a database driver
    give), or text of ISO 8601 dates (what read_csv gives, as the command line's
    fit reads a CSV): seconds since 1970, as a datetime column, at fit and at
    predict. Found: read as a high-cardinality category, and a target the dates
    decide ended on the dummy (0.52 on its own training rows): python dates in
    session 32, text in session 33."""
    days = np.random.RandomState(0).randint(0, 1000, 80)
    dates = pd.Timestamp("2020-01-01") + pd.to_timedelta(days, unit="D")
    X = pd.DataFrame({"day": list(dates.date) if form == "python dates"
                      else dates.strftime("%Y-%m-%d")})
    if form == "iso text":
        X.loc[3, "day"] = None
    y = target_for(estimator_class, pd.DataFrame({"d": days - 500.0}))
    estimator = tiny_fit(estimator_class, X, y)
    assert estimator.profile_.numeric == ("day",) and estimator.profile_.dates == ("day",)
    as_datetimes = X.astype({"day": "datetime64[ns]"})
    expected = estimator.predict(as_datetimes)
    np.testing.assert_array_equal(estimator.predict(X), expected)
    assert estimator.refit_ != "dummy"
    # The model records its date columns: text at predict is read as dates there,
    # whatever the file's other rows look like. Found (session 33's hunt): dates
    # written 20200101 were read as the number 20200101, silently, and a mix of
    # both forms read the ISO ones as missing.
    compact = as_datetimes.assign(day=as_datetimes["day"].dt.strftime("%Y%m%d"))
    mixed = compact.assign(day=np.where(np.arange(80) % 2, compact["day"], X["day"]))
    # Whole numbers there are the dates they write: what pd.read_csv makes of 20200131
    # (found by session 34's hunt: read as seconds since 1970, silently).
    as_numbers = compact.assign(day=pd.to_numeric(compact["day"]))
    with no_leaked_warnings():
        np.testing.assert_array_equal(estimator.predict(compact), expected)
        np.testing.assert_array_equal(estimator.predict(mixed), expected)
        np.testing.assert_array_equal(estimator.predict(as_numbers), expected)
    with pytest.warns(DataConversionWarning, match="'day' held dates at fit, but 1 of"):
        estimator.predict(as_numbers.astype({"day": float}).assign(
            day=[1.5e9] + list(as_numbers["day"][1:])))
    with pytest.warns(DataConversionWarning, match="'day' held dates at fit, but 1 of its "
                      r"values at predict are not dates \(e.g. 'soon'\)"):
        estimator.predict(compact.assign(day=["soon"] + list(compact["day"][1:])))


def test_dates_are_dates_whatever_their_order_and_spaces():
    """Found by session 34's hunt: dates whose first 100 were written 20210131 were a
    category (the first values looked like numbers), the other order dates; dates
    with spaces around them a category, where numbers with spaces are numbers."""
    compact_first = pd.DataFrame({"d": ["20210131"] * 100 + ["2021-02-01"] * 10})
    iso_first = pd.DataFrame({"d": ["2021-02-01"] * 10 + ["20210131"] * 100})
    spaced = pd.DataFrame({"d": [" 2021-02-01", "2021-02-01 ", None] * 5})
    for frame in (compact_first, iso_first, spaced):
        X, dates = check_X_and_dates(frame)
        assert dates == ("d",) and X["d"].dtype == float
    np.testing.assert_array_equal(check_X_and_dates(compact_first)[0]["d"].unique(),
                                  [1612051200.0, 1612137600.0])
    # whole numbers alone stay numbers, as ever
    assert check_X_and_dates(pd.DataFrame({"d": ["20210131", "20210201"]}))[1] == ()


def test_dates_past_2262_are_read_as_seconds():
    """"9999-12-31" (a common "no end date") as text, or as a datetime column of
    microseconds. Found (session 33's hunt): pandas' OutOfBoundsDatetime from the
    epoch's nanoseconds, at fit, at predict and in the exported script."""
    text = pd.DataFrame({"d": ["2020-01-01", "9999-12-31", None]})
    seconds = check_X(text, min_samples=1)["d"]
    np.testing.assert_array_equal(seconds.to_numpy(), [1577836800.0, 253402214400.0, np.nan])
    as_us = text.astype({"d": "datetime64[us]"})
    np.testing.assert_array_equal(check_X(as_us, min_samples=1)["d"].to_numpy(),
                                  seconds.to_numpy())


@pytest.mark.parametrize("cell", [["x"], {"a": 1}, np.array([1.0])], ids=type)
def test_cells_holding_lists_are_a_clear_error(estimator_class, cell):
    X = numeric_frame()
    X["tags"] = pd.Series([cell if i % 2 else "text" for i in range(len(X))], dtype=object)
    fit_error(estimator_class, X, target_for(estimator_class, X), TypeError,
              "Column 'tags' holds .* values.*Join each into one text value")


def test_all_nan_and_constant_columns_leak_no_warning(estimator_class):
    X = numeric_frame()
    X["empty"] = np.nan
    X["empty_text"] = pd.Series([None] * len(X), dtype=object)
    X["constant"] = 1.0
    y = target_for(estimator_class, X)
    estimator = tiny_fit(estimator_class, X, y)
    assert estimator.profile_.empty == ("empty", "empty_text")
    with no_leaked_warnings():  # the imputer's "Skipping features without any observed values"
        check_predictions(estimator, X)
    as_array = tiny_fit(estimator_class, X.drop(columns="empty_text").to_numpy(), y)
    assert as_array.profile_.empty == (3,)
    with no_leaked_warnings():
        check_predictions(as_array, X.drop(columns="empty_text").to_numpy())


def test_only_empty_columns_are_rejected(estimator_class):
    X = pd.DataFrame({"a": [np.nan] * 6, "b": [np.nan] * 6})
    fit_error(estimator_class, X, [0, 1] * 3, ValueError, "no observed values")


# -------------------------------------------------------------------------- y
@pytest.mark.parametrize("bad, match", [
    (np.nan, "y contains NaN or missing values \\(1 of 80\\); drop those rows or fill"),
    (None, "y contains NaN or missing values"),
    (np.inf, "y contains infinity \\(1 of 80 values\\); drop those rows"),
], ids=["nan", "none", "inf"])
def test_missing_or_infinite_targets(estimator_class, bad, match):
    X = numeric_frame()
    y = target_for(estimator_class, X).astype(object)
    y[5] = bad
    fit_error(estimator_class, X, y, ValueError, match)


def test_y_none(estimator_class):
    fit_error(estimator_class, numeric_frame(), None, ValueError, "requires y to be passed")


def test_y_of_another_length(estimator_class):
    fit_error(estimator_class, numeric_frame(), [0, 1] * 10, ValueError,
              "inconsistent numbers of samples")


def test_one_class():
    fit_error(AutoClassifier, numeric_frame(), np.zeros(80), ValueError,
              "at least 2 classes in y; got only one class: 0.0")


def test_mixed_label_types():
    y = np.array([1, "b"] * 40, dtype=object)
    fit_error(AutoClassifier, numeric_frame(), y, ValueError,
              "Mix of label input types \\(numeric and string\\).*y.astype\\(str\\)")


def test_continuous_target_to_the_classifier():
    X = numeric_frame()
    fit_error(AutoClassifier, X, X["f0"].to_numpy(), ValueError,
              "Unknown label type: continuous.*use AutoRegressor")


@pytest.mark.parametrize("y", [
    np.array(["yes", "no"] * 40),
    pd.Series(pd.Categorical(["yes", "no"] * 40)),
], ids=["strings", "category"])
def test_labels_to_the_regressor(y):
    fit_error(AutoRegressor, numeric_frame(), y, ValueError,
              "numeric target y; found '(yes|no)'. For class labels use AutoClassifier")


@pytest.mark.parametrize("y", [
    pd.Series(pd.date_range("2020-01-01", periods=80, freq="D")),
    pd.Series(pd.to_timedelta(np.arange(80), unit="s")),
], ids=["dates", "durations"])
def test_dates_or_durations_to_the_regressor(y):
    """Found (session 37): numpy read them as nanoseconds, silently; the model
    predicted numbers of 1e15 for dates."""
    fit_error(AutoRegressor, numeric_frame(), y, ValueError,
              r"numeric target y; found (datetime64|timedelta64)\[.*\] values\. Convert "
              r"them to numbers first")


def test_a_complex_target_is_rejected_without_its_values(estimator_class):
    """Found (session 37): scikit-learn's "Complex data not supported" followed by
    a dump of every value of y."""
    y = np.arange(80) % 2 + 1j
    with no_leaked_warnings(), pytest.raises(ValueError) as error:
        estimator_class(**TINY).fit(numeric_frame(), y)
    assert str(error.value) == ("Complex data not supported: y holds complex numbers; "
                                "pass a real target (their real part, or their magnitude).")


def test_a_structured_array_fits_as_the_frame_of_its_fields(estimator_class):
    """Found (session 37): a numpy record array (np.genfromtxt(names=True) makes one)
    met scikit-learn's "Expected 2D array, got 1D array" and a dump of the rows. It
    is now a table: a column per field, matched by name at predict."""
    frame = numeric_frame()
    X = frame.to_records(index=False)
    y = target_for(estimator_class, frame)
    estimator = tiny_fit(estimator_class, X, y)
    assert list(estimator.feature_names_in_) == list(frame.columns)
    np.testing.assert_array_equal(check_predictions(estimator, X),
                                  estimator.predict(frame))


def test_a_class_with_a_single_sample():
    X = numeric_frame()
    y = target_for(AutoClassifier, X)
    y[0] = 2
    estimator = tiny_fit(AutoClassifier, X, y)
    assert list(estimator.classes_) == [0, 1, 2]
    check_predictions(estimator, X)


def test_a_thousand_classes():
    X = numeric_frame(n_rows=2000)
    y = np.arange(2000) % 1000
    # k-NN: the default boosted trees grow one tree per class and iteration
    estimator = tiny_fit(AutoClassifier, X, y, include=["knn"], max_trials=1)
    assert len(estimator.classes_) == 1000
    check_predictions(estimator, X.head(50))


# object_* and huge_integers: found (session 32), "Unknown label type" (scikit-learn
# calls an object array of numbers an unknown target)
@pytest.mark.parametrize("kind", ["strings", "bools", "category", "integer_floats",
                                  "object_integers", "object_bools", "huge_integers",
                                  "huge_and_negative"])
def test_label_types_round_trip(kind):
    X = numeric_frame()
    positive = target_for(AutoClassifier, X).astype(bool)
    y = {"strings": np.where(positive, "yes", "no"), "bools": positive,
         "category": pd.Series(pd.Categorical(np.where(positive, "b", "a"))),
         "integer_floats": positive.astype(float),
         "object_integers": pd.Series(positive.astype(int), dtype=object),
         "object_bools": pd.Series(positive, dtype=object),
         "huge_integers": np.array([2**70 + int(p) for p in positive], dtype=object),
         "huge_and_negative": np.array([2**63 if p else -1 for p in positive],
                                       dtype=object)}[kind]
    estimator = tiny_fit(AutoClassifier, X, y)
    predictions = check_predictions(estimator, X)
    assert list(estimator.classes_) == sorted(set(np.asarray(y).tolist()))
    assert np.mean(predictions == np.asarray(y)) > 0.8


@pytest.mark.parametrize("kind", ["bools", "numeric_strings"])
def test_regression_targets_read_as_numbers(kind):
    X = numeric_frame()
    y = target_for(AutoRegressor, X)
    y = {"bools": y > 1, "numeric_strings": y.astype(str)}[kind]
    estimator = tiny_fit(AutoRegressor, X, y)
    check_predictions(estimator, X)
    assert estimator.score(X, np.asarray(y, dtype=float)) > 0.5


def test_regression_target_of_scale_1e12():
    X = numeric_frame()
    y = target_for(AutoRegressor, X) * 1e12
    estimator = tiny_fit(AutoRegressor, X, y)
    assert estimator.score(X, y) > 0.5
    assert np.abs(estimator.predict(X)).max() > 1e11


def test_constant_regression_target():
    X = numeric_frame()
    estimator = tiny_fit(AutoRegressor, X, np.full(len(X), 3.5))
    np.testing.assert_allclose(estimator.predict(X), 3.5)


# ------------------------------------------------------------------ column names
def test_duplicated_column_names(estimator_class):
    X = numeric_frame()
    X.columns = ["a", "a", "b"]
    fit_error(estimator_class, X, np.arange(80) % 2, ValueError,
              "duplicated column names \\['a'\\]; rename them")


def test_mixed_type_column_names(estimator_class):
    X = numeric_frame()
    X.columns = ["a", 1, 2.5]
    fit_error(estimator_class, X, np.arange(80) % 2, TypeError,
              "must convert them all to strings")


def test_integer_column_names(estimator_class):
    X = numeric_frame()
    X.columns = [0, 1, 2]
    estimator = tiny_fit(estimator_class, X, target_for(estimator_class, X))
    assert not hasattr(estimator, "feature_names_in_")
    check_predictions(estimator, X)


@pytest.mark.parametrize("include", [None, ["xgboost"]], ids=["default", "xgboost"])
def test_names_other_libraries_reject(estimator_class, include):
    # XGBoost rejects '[', ']' and '<' in feature names; the pipelines hand it arrays
    X = numeric_frame()
    X.columns = ["f[0]", "f<1>", "a:b 'q\" é"]
    X["ü [x]"] = np.where(X["f[0]"] > 0, "u", "v")
    estimator = tiny_fit(estimator_class, X, target_for(estimator_class, X), include=include)
    if include:
        assert set(estimator.leaderboard_["model"].dropna()) == {"xgboost"}
    assert list(estimator.feature_names_in_) == list(X.columns)
    check_predictions(estimator, X)


# ------------------------------------------------------------------ categoricals
def test_fifty_thousand_levels(estimator_class):
    n = 50_000
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"id": [f"k{i}" for i in range(n)], "x": rng.normal(size=n)})
    estimator = tiny_fit(estimator_class, X, target_for(estimator_class, X, column=1),
                         max_trials=1)
    assert estimator.profile_.high_cardinality == ("id",)
    check_predictions(estimator, X.head(100))


@pytest.fixture(scope="module", params=[AutoClassifier, AutoRegressor],
                ids=lambda cls: cls.__name__)
def fitted_on_frame(request):
    """(estimator, X): fitted on numeric and categorical columns with names."""
    X = numeric_frame()
    X["cat"] = np.where(X["f1"] > 0, "u", "v")
    return tiny_fit(request.param, X, target_for(request.param, X)), X


def test_unseen_categories_and_new_missing_values(fitted_on_frame):
    estimator, X = fitted_on_frame
    new = X.head(4).copy()
    new.loc[0, "cat"] = "never seen"
    new.loc[1, "cat"] = None
    new.loc[2, "f1"] = np.nan
    with no_leaked_warnings():
        check_predictions(estimator, new)


# ---------------------------------------------------------- columns at predict
@pytest.mark.parametrize("change, match", [
    (lambda X: X[["cat", "f2", "f0", "f1"]], "must be in the same order"),
    (lambda X: X.drop(columns="f1"), "seen at fit time, yet now missing:\n- f1"),
    (lambda X: X.assign(extra=1.0), "unseen at fit time:\n- extra"),
], ids=["reordered", "missing", "added"])
def test_other_columns_at_predict(fitted_on_frame, change, match):
    # scikit-learn's feature-names check: the same names, in the same order
    estimator, X = fitted_on_frame
    with pytest.raises(ValueError, match=match):
        estimator.predict(change(X))


def test_array_at_predict_after_a_frame(fitted_on_frame):
    estimator, X = fitted_on_frame
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_array = estimator.predict(X.to_numpy())
    np.testing.assert_array_equal(from_array, estimator.predict(X))


def test_frame_at_predict_after_an_array(estimator_class):
    X = numeric_frame()
    estimator = tiny_fit(estimator_class, X.to_numpy(), target_for(estimator_class, X))
    with pytest.warns(UserWarning, match="X has feature names, but"):
        from_frame = estimator.predict(X)
    np.testing.assert_array_equal(from_frame, estimator.predict(X.to_numpy()))


@pytest.mark.parametrize("convert", [
    lambda X: X.astype({"f0": "float32"}),
    lambda X: X.astype({"f0": str}),
    lambda X: X.assign(cat=(X["cat"] == "u").astype(int)),
], ids=["float32", "numbers-as-text", "category-as-int"])
def test_other_dtypes_at_predict(fitted_on_frame, convert):
    estimator, X = fitted_on_frame
    with no_leaked_warnings():
        predictions = check_predictions(estimator, convert(X))
    if not isinstance(estimator, AutoClassifier):
        return
    assert np.mean(predictions == estimator.predict(X)) > 0.9


def test_text_in_a_numeric_column_at_predict_is_warned(fitted_on_frame):
    estimator, X = fitted_on_frame
    with pytest.warns(DataConversionWarning, match="'f0' was numeric at fit, but 80 of its "
                      "values at predict are not numbers \\(e.g. 'abc'\\)"):
        check_predictions(estimator, X.assign(f0="abc"))


# ------------------------------------------------------------------ data types
def with_int64_indices(X):
    """A copy of sparse ``X`` whose index arrays are 64-bit, as a matrix built from
    int64 arrays keeps them (scikit-learn's ``check_estimator_sparse_array`` too)."""
    X = X.copy()
    if X.format == "coo":
        X.coords = tuple(axis.astype(np.int64) for axis in X.coords)
    else:
        X.indices, X.indptr = X.indices.astype(np.int64), X.indptr.astype(np.int64)
    return X


@pytest.mark.parametrize("form, int64", [("csr", False), ("csc", False), ("csr", True),
                                         ("csc", True), ("coo", True)])
def test_sparse(estimator_class, form, int64):
    """Found (session 45): on 64-bit indices the strong default for sparse data, a
    random forest, crashed ("No support for np.int64 index based sparse matrices")
    and a one-trial fit ended on the dummy."""
    X = sp.random_array((80, 30), density=0.2, format=form, random_state=0)
    X = with_int64_indices(X) if int64 else X
    y = target_for(estimator_class, X.toarray())
    estimator = tiny_fit(estimator_class, X, y)
    assert (estimator.leaderboard_["status"] == "ok").all(), estimator.leaderboard_
    assert estimator.refit_ != "dummy"
    check_predictions(estimator, X)
    # the user's matrix is left as it was
    indices = X.coords[0] if form == "coo" else X.indices
    assert indices.dtype == (np.int64 if int64 else np.int32)


def test_dense_and_sparse_swapped_at_predict(estimator_class):
    """A model fitted on dense rows predicts a CSR matrix of them, and one fitted on
    a sparse matrix predicts a frame of it with scikit-learn's one feature-names
    warning. Found (session 32): a standard scaler raised "Cannot center sparse
    matrices"; each pipeline's imputer repeated the names warning."""
    X = numeric_frame().to_numpy()
    y = target_for(estimator_class, X)
    dense = tiny_fit(estimator_class, X, y, include=["standard"])
    with no_leaked_warnings():
        np.testing.assert_array_equal(dense.predict(sp.csr_matrix(X)), dense.predict(X))
    sparse = tiny_fit(estimator_class, sp.csr_matrix(X), y, include=["standard"])
    with no_leaked_warnings(UserWarning) as caught:
        predicted = sparse.predict(pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])]))
    assert [str(w.message) for w in caught] == [
        f"X has feature names, but {estimator_class.__name__} was fitted without feature names"]
    np.testing.assert_array_equal(predicted, sparse.predict(sp.csr_matrix(X)))


def test_pandas_sparse_columns(estimator_class):
    """A column of pandas' SparseDtype is read dense. Found (session 31): scikit-learn
    densified it with a UserWarning at every predict."""
    X = numeric_frame()
    X["sparse"] = pd.arrays.SparseArray(np.where(X["f0"] > 0.5, X["f0"], 0.0))
    estimator = tiny_fit(estimator_class, X, target_for(estimator_class, X))
    with no_leaked_warnings():
        predicted = check_predictions(estimator, X)
    dense = X.assign(sparse=np.asarray(X["sparse"]))
    np.testing.assert_array_equal(predicted, estimator.predict(dense))


def test_pandas_nullable_dtypes(estimator_class):
    rng = np.random.default_rng(0)
    X = numeric_frame()
    X["i"] = pd.array(rng.integers(0, 5, len(X)), dtype="Int64")
    X["b"] = pd.array(rng.choice([True, False], len(X)), dtype="boolean")
    X["s"] = pd.array(rng.choice(["p", "q"], len(X)), dtype="string")
    X["x"] = pd.array(rng.normal(size=len(X)), dtype="Float64")
    X.loc[3, ["i", "b", "s", "x"]] = pd.NA
    estimator = tiny_fit(estimator_class, X, target_for(estimator_class, X))
    assert estimator.profile_.categorical == ("s",)
    check_predictions(estimator, X)


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_numbers_stored_as_text_are_numbers(estimator_class, dtype):
    """A numeric column read as text is parsed, whatever the text dtype: pandas 3 gives
    text columns its ``str`` dtype, which the parser passed over (found in session
    27: a column of numbers as ``str`` was a high-cardinality categorical, and a fit
    to y = (f0 > 0) scored 0.52 on its own training rows). A ``category`` column of
    numbers stays categorical."""
    X = numeric_frame()
    y = target_for(estimator_class, X)
    X["f0"] = pd.Series(X["f0"].astype(str).to_numpy(dtype=object), dtype=dtype,
                        index=X.index)
    X["codes"] = pd.Categorical(np.arange(len(X)) % 3)
    estimator = tiny_fit(estimator_class, X, y)
    assert estimator.profile_.numeric == ("f0", "f1", "f2")
    assert estimator.profile_.categorical == ("codes",)
    check_predictions(estimator, X)


def test_pyarrow_backed_columns(estimator_class):
    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({
        "x": pd.array(rng.normal(size=80), dtype="double[pyarrow]"),
        "i": pd.array(rng.integers(0, 5, 80), dtype="int64[pyarrow]"),
        "s": pd.array(rng.choice(["p", "q"], 80), dtype="string[pyarrow]"),
        "b": pd.array(rng.choice([True, False], 80), dtype="bool[pyarrow]"),
    })
    X.loc[3, "x"] = None
    estimator = tiny_fit(estimator_class, X, target_for(estimator_class, X))
    assert estimator.profile_.categorical == ("s",)
    check_predictions(estimator, X)


@pytest.mark.parametrize("library", ["pyarrow", "polars"])
def test_data_frames_of_other_libraries_keep_their_column_names(estimator_class, library):
    """A pyarrow Table or a polars DataFrame (read as pandas through the Arrow C
    stream): its names are kept, so columns at predict are checked by name as a
    pandas frame's are. Before, they were positions: columns given in another
    order at predict gave other predictions, silently."""
    module = pytest.importorskip(library)
    X = numeric_frame()
    X["cat"] = np.where(X["f1"] > 0, "u", "v")
    y = target_for(estimator_class, X)
    as_library = module.Table.from_pandas if library == "pyarrow" else module.from_pandas
    estimator = tiny_fit(estimator_class, as_library(X), y)
    np.testing.assert_array_equal(estimator.feature_names_in_, X.columns)
    assert estimator.profile_.categorical == ("cat",)
    with no_leaked_warnings():
        np.testing.assert_array_equal(estimator.predict(as_library(X)), estimator.predict(X))
    with pytest.raises(ValueError, match="must be in the same order"):
        estimator.predict(as_library(X[["cat", "f2", "f0", "f1"]]))


def test_wide_data(estimator_class):
    X = np.random.default_rng(0).normal(size=(100, 20_000))
    model = ["logistic_regression" if estimator_class is AutoClassifier else "ridge"]
    estimator = tiny_fit(estimator_class, X, target_for(estimator_class, X),
                         include=model, max_trials=1)
    check_predictions(estimator, X)


def test_long_free_text(estimator_class):
    # 60 cells of ~60 kB: frequency-encoded as a high-cardinality column
    rng = np.random.default_rng(0)
    words = np.array(["lorem", "ipsum", "dolor", "sit", "amet"])
    X = numeric_frame(n_rows=60)
    X["text"] = [" ".join(rng.choice(words, 10_000)) for _ in range(60)]
    estimator = tiny_fit(estimator_class, X, target_for(estimator_class, X))
    assert estimator.profile_.high_cardinality == ("text",)
    check_predictions(estimator, X)


def test_datetime_columns(estimator_class):
    X = numeric_frame()
    X["day"] = pd.date_range("2020-01-01", periods=len(X), freq="D")
    X["hour"] = pd.date_range("2020-01-01", periods=len(X), freq="h", tz="Europe/Paris")
    X.loc[3, "day"] = pd.NaT
    estimator = tiny_fit(estimator_class, X, target_for(estimator_class, X))
    assert {"day", "hour"} <= set(estimator.profile_.numeric)
    expected = check_predictions(estimator, X)
    # the same dates as ISO text at predict are read as dates, as the exported script reads them
    as_text = X.assign(day=X["day"].dt.strftime("%Y-%m-%d"), hour=X["hour"].astype(str))
    with no_leaked_warnings():
        np.testing.assert_array_equal(estimator.predict(as_text), expected)


# -------------------------------------------------------------- fit parameters
def test_sample_weight_is_a_clear_error(estimator_class):
    X = numeric_frame()
    with pytest.raises(TypeError, match="does not support sample_weight.*Repeat or subsample"):
        estimator_class(**TINY).fit(X, target_for(estimator_class, X), sample_weight=np.ones(80))


def test_time_budget_too_small_for_a_trial(estimator_class):
    # 0.5 s minus the shutdown margin leaves less than a trial's minimum: deterministic
    X = numeric_frame()
    with no_leaked_warnings(UserWarning) as caught:
        estimator = estimator_class(**{**TINY, "time_budget": 0.5}).fit(
            X, target_for(estimator_class, X))
    assert len(caught) == 1
    assert "time_budget=0.5s left no time for a trial" in str(caught[0].message)
    assert estimator.refit_ == "dummy" and estimator.n_trials_ == 1
    check_predictions(estimator, X)


def test_a_budget_of_ten_billion_seconds_with_max_trials_refits(estimator_class):
    # "No time limit, stop on max_trials". Found (session 31): every refit's wait
    # raised OverflowError past threading.TIMEOUT_MAX, and the fit ended on a
    # search-time model without a warning.
    X = numeric_frame()
    estimator = tiny_fit(estimator_class, X, target_for(estimator_class, X), time_budget=1e10,
                         max_trials=3)
    assert estimator.refit_ == "all rows"


@pytest.mark.parametrize("n_jobs", [-1, 1000])
def test_n_jobs_all_cores_or_more_than_the_cores(estimator_class, n_jobs):
    X = numeric_frame()
    # a linear model: boosted trees' OpenMP threads crawl on a loaded machine
    model = ["logistic_regression" if estimator_class is AutoClassifier else "ridge"]
    estimator = tiny_fit(estimator_class, X, target_for(estimator_class, X), n_jobs=n_jobs,
                         max_trials=1, include=model)
    assert estimator._trial_workers() == cpu_count()
    check_predictions(estimator, X)


def test_n_jobs_zero(estimator_class):
    fit_error(estimator_class, numeric_frame(), np.arange(80) % 2, ValueError,
              "n_jobs=0 would run no trial; use a positive number", n_jobs=0)


def test_pandas_output_configured_by_the_user(estimator_class):
    """sklearn.set_config(transform_output="pandas") in the user's script: the
    pipelines, fitted in workers under the default, predict under it too. Before,
    every predict warned that X had feature names the model was not fitted with."""
    X = numeric_frame()
    X["cat"] = np.where(X["f1"] > 0, "u", "v")
    y = target_for(estimator_class, X)
    with sklearn.config_context(transform_output="pandas"):
        estimator = tiny_fit(estimator_class, X, y, include=["logistic_regression"]
                             if estimator_class is AutoClassifier else ["ridge"])
        with no_leaked_warnings():
            predicted = check_predictions(estimator, X)
    np.testing.assert_array_equal(predicted, estimator.predict(X))


@pytest.mark.parametrize("params, match", [
    ({"resampling": "cv", "resampling_size": 100}, "resampling_size=100 folds, but the search "
                                                   "has 80 rows; give at most 80 folds"),
    ({"resampling": "holdout", "resampling_size": 0.99}, "leaves 79 validation and 1 "
                                                         "training rows"),
], ids=["folds-over-rows", "no-training-rows"])
def test_a_resampling_size_the_rows_cannot_hold_is_a_clear_error(estimator_class, params,
                                                                  match):
    """Found (session 31): the folds were cut to the rows without a word (and
    search_plan_ kept the number asked for); a holdout of every row raised
    scikit-learn's "test_size=... should be either positive and smaller than the
    number of samples"."""
    X = numeric_frame()
    fit_error(estimator_class, X, target_for(estimator_class, X), ValueError, match, **params)


def test_more_folds_than_the_smallest_class_has_rows_are_cut_with_a_warning():
    X = numeric_frame(n_rows=60)
    y = np.where(np.arange(60) < 6, 1, 0)  # six rows of class 1
    with no_leaked_warnings(UserWarning) as seen:
        estimator = AutoClassifier(**{**TINY, "resampling": "cv", "resampling_size": 10}
                                   ).fit(X, y)
    assert [str(w.message) for w in seen] == [
        "resampling_size=10 folds, but the smallest class has 6 rows: 6 stratified folds are "
        "used (each holds every class)."]
    assert estimator.search_plan_.n_folds == 6
    assert len(estimator.leaderboard_["fold_scores"].iloc[0]) == 6


def test_a_fit_that_fails_leaves_the_estimator_unfitted(estimator_class):
    """Found (session 32): a second fit that raised after checking y (a typo in
    include) left the new classes_ and n_features_in_ beside the first fit's model,
    and predict returned the new labels for the old model's classes, silently."""
    from sklearn.exceptions import NotFittedError

    X = numeric_frame()
    estimator = tiny_fit(estimator_class, X, target_for(estimator_class, X))
    y = np.where(target_for(AutoClassifier, X) > 0, "dog", "cat") \
        if estimator_class is AutoClassifier else target_for(estimator_class, X) * 10
    estimator.set_params(include=["logistic_regresion"])
    with pytest.raises(ValueError, match="Unknown component name"):
        estimator.fit(X.iloc[:, :2], y)
    with pytest.raises(NotFittedError):
        estimator.predict(X)


@pytest.mark.parametrize("column", [
    lambda X: X["f0"],
    lambda X: pytest.importorskip("pyarrow").chunked_array([X["f0"].to_numpy()]),
], ids=["series", "pyarrow-array"])
def test_one_dimensional_x_is_scikit_learn_s_error(estimator_class, column):
    """Found (session 32): a Series (or a pyarrow array) as X raised pyarrow's
    ArrowInvalid from the Arrow stream read of data frames."""
    X = numeric_frame()
    fit_error(estimator_class, column(X), target_for(estimator_class, X), ValueError,
              "Expected (a 2-dimensional|2D)")


def test_include_naming_the_networks_searches_them(estimator_class):
    """include=["neural_network"] under neural="auto" asks for networks: they are
    searched (before, on CPU and small data, silently none: the fit searched the
    other models); with neural=False it is a clear error."""
    pytest.importorskip("torch")
    X = numeric_frame()
    y = target_for(estimator_class, X)
    # a budget that never binds: TINY's 30 s gives a trial 7.5 s, and a network's trial
    # (its worker imports torch) timed out beside two busy processes (session 43, -n 3)
    estimator = tiny_fit(estimator_class, X, y, include=["neural_network"],
                         time_budget=SLACK_BUDGET)
    assert estimator.search_plan_.neural
    trials = estimator.leaderboard_.query("trial > 0")
    assert (trials["model"] == "neural_network").all() and (trials["status"] == "ok").all()
    fit_error(estimator_class, X, y, ValueError,
              "include names 'neural_network' but neural=False", include=["neural_network"],
              neural=False)


@pytest.mark.parametrize("search", ["evolution", "one_shot"])
@pytest.mark.parametrize(("settings", "why"), [
    ({"neural": False}, "neural=False turns them off"),
    ({"exclude": ["neural_network"]}, "include/exclude leave them out"),
    ({"include": ["random_forest"]}, "include/exclude leave them out")])
def test_a_networks_only_search_without_networks_is_refused(estimator_class, search,
                                                            settings, why):
    """A strategy that searches networks only, with the networks off, is a clear
    error before any fit (before, it proposed nothing and the fit silently ended
    on the warm start's models: session 32's hunt, --search evolution --neural off)."""
    X = numeric_frame()
    fit_error(estimator_class, X, target_for(estimator_class, X), ValueError,
              f"search='{search}' searches neural networks only, but {why}",
              search=search, **settings)


def test_memory_limit_too_small_for_any_model(estimator_class):
    # 18 MB of data: a worker capped at 16 MB beyond its start cannot even map it
    X = np.random.default_rng(0).normal(size=(11_000, 200))
    with no_leaked_warnings(UserWarning) as caught:
        estimator = estimator_class(**{**TINY, "memory_limit": 16}).fit(
            X, target_for(estimator_class, X))
    assert len(caught) == 1
    assert "ran out of memory under memory_limit=16 MB" in str(caught[0].message)
    assert "Raise memory_limit" in str(caught[0].message)
    assert estimator.refit_ == "dummy"
    assert set(estimator.leaderboard_["status"]) == {"ok", "memout"}
    check_predictions(estimator, X[:10])
