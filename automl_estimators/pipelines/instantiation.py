"""One declared component -> one unfitted estimator instance.

Below both :mod:`.builder` (whole pipelines) and :mod:`.program` (transformation
trees), which each instantiate components, so that neither imports the other's
module to do it.
"""

from __future__ import annotations

from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..spaces.declarations import hp_key


def make_component(component, config: dict, *, sparse: bool = False, random_state=None,
                   iteration_share: float = 1.0, n_rows: int | None = None,
                   n_columns: int | None = None):
    """Instantiate one component with the configuration's hyperparameters.

    ``iteration_share`` < 1 scales the component's iterations hyperparameter
    (a low fidelity). Returns ``None`` for a step's "nothing" choice (e.g. ``no_scaling``).
    A component that declares ``scale_inputs`` comes as a pipeline of a
    ``StandardScaler`` and the estimator; one that declares ``scale_target`` comes
    wrapped in a ``TransformedTargetRegressor`` that standardises the target.
    Given ``n_rows``, the data's rows, the component's ``row_bounded`` parameters
    are at most that many (scikit-learn's own value on such data, without its
    warning). Given ``n_columns``, an upper bound on the columns that reach the
    component (:mod:`.width`), each of its ``width_bounded`` parameters is at most
    its bound over those columns, and never below the parameter's default.
    """
    cls = component.estimator_class(sparse)
    if cls is None:
        return None
    kwargs = dict(component.fixed)
    if sparse:
        kwargs.update(component.sparse_fixed)
    for hp in component.hyperparameters:
        key = hp_key(component, hp.name)
        if key in config:
            kwargs[hp.name] = config[key]
    for name in component.strategy_parameters:
        if hp_key(component, name) in config:
            kwargs[name] = config[hp_key(component, name)]
    if component.iterations and iteration_share < 1.0:
        full = kwargs.get(component.iterations, component.defaults().get(component.iterations))
        kwargs[component.iterations] = max(round(full * iteration_share), 1)
    if n_rows is not None:
        for name in component.row_bounded:
            value = kwargs.get(name, component.defaults().get(name))
            if value is not None and value > n_rows:
                kwargs[name] = max(int(n_rows), 1)
    if n_columns:
        defaults = component.defaults()
        for name, most in component.width_bounded:
            value = kwargs.get(name, defaults.get(name))
            bound = max(most // int(n_columns), defaults.get(name) or 1)
            if value is not None and value > bound:
                kwargs[name] = bound
    if component.seeded:
        kwargs["random_state"] = random_state
    estimator = cls(**kwargs)
    if component.scale_inputs:
        estimator = make_pipeline(StandardScaler(with_mean=not sparse), estimator)
    if component.scale_target:
        return TransformedTargetRegressor(regressor=estimator, transformer=StandardScaler())
    return estimator
