"""Any scikit-learn estimator as the readable Python code that builds it.

:func:`to_source` renders an estimator (or a value such as a list of them) as
one expression: only non-default parameters, ``make_pipeline`` /
``make_column_transformer`` / ``make_union`` where the step names are the ones
those helpers give, functions and classes as imported names, and one argument
per line when a call does not fit in :data:`WIDTH` columns. :class:`Source`
holds that expression with the import statements it needs; the names imported
from this package (modules starting with ``automl_estimators``) are listed apart.
:class:`Imports` lets several pieces of generated code share one set of names.

Values of classes this module does not know are rendered by what they declare:
``get_params`` (estimators), dataclass fields (plain values such as
:mod:`automl_estimators.nas` architectures). This module imports nothing of the
package, so any part of it can use it.

The standalone script around the final model is written by
:mod:`automl_estimators.export`.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import importlib
import inspect
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector, make_column_transformer
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline, make_union

# Generated lines are kept within this many columns where the names allow.
WIDTH = 88
INDENT = "    "
OWN_PACKAGE = "automl_estimators"
# Names the exported script (automl_estimators.export) defines itself; an imported
# name equal to one gets an alias, so to_source's code can be pasted into that script.
# tests/test_export.py checks this against the names a script binds.
SCRIPT_NAMES = ("argparse", "sys", "np", "pd", "TARGET", "FEATURES", "N_FEATURES",
                "CATEGORICAL", "DATES", "build_model", "main", "is_text", "text_as_durations",
                "text_as_numbers", "datetimes_as_seconds", "text_as_dates",
                "csv_column_as_numbers", "read_rows", "columns_as_numbers", "features_by_name",
                "features_by_position", "encode_classes", "target_as_numbers")
# Estimators whose list parameter has a make_* helper that names the steps itself:
# class -> (helper, its list parameter, the list's items without their names).
HELPERS = {
    Pipeline: (make_pipeline, "steps", lambda steps: [step for _, step in steps]),
    FeatureUnion: (make_union, "transformer_list", lambda parts: [part for _, part in parts]),
    ColumnTransformer: (make_column_transformer, "transformers",
                        lambda parts: [(part, columns) for _, part, columns in parts]),
}
# Objects without get_params whose __init__ arguments are kept as same-named attributes.
# Dataclasses need no entry: their fields say what __init__ takes (see _dataclass_call).
PLAIN_INIT_CLASSES = (make_column_selector,)


# ------------------------------------------------------------------ layout
@dataclass(frozen=True)
class _Atom:
    """A piece of code that is never broken across lines."""

    text: str


@dataclass(frozen=True)
class _Group:
    """A call, list, tuple, set or dict display: ``opener item, item closer``.

    ``items`` are ``(prefix, node)`` pairs; the prefix is ``"name="`` for a
    keyword argument, ``"key: "`` for a dict entry and empty otherwise.
    """

    opener: str
    items: tuple
    closer: str
    one_tuple: bool = False


def _flat(node) -> str:
    if isinstance(node, _Atom):
        return node.text
    inner = ", ".join(prefix + _flat(item) for prefix, item in node.items)
    return node.opener + inner + ("," if node.one_tuple else "") + node.closer


def _layout(node, column: int, indent: str, reserve: int) -> str:
    """``node`` as code starting at ``column``, continuation lines indented by ``indent``.

    ``reserve`` is the room the text after the node needs on its last line.
    Tried in turn: one line; the last item "hugged" (``("model", Pipeline([``);
    atoms filled into lines; one item per line.
    """
    text = _flat(node)
    if isinstance(node, _Atom) or column + len(text) + reserve <= WIDTH or not node.items:
        return text
    hugged = _hug_last(node, column, indent, reserve)
    if hugged is not None:
        return hugged
    inner = indent + INDENT
    if all(isinstance(item, _Atom) and not prefix for prefix, item in node.items):
        return _fill(node, inner, indent)
    lines = [node.opener]
    for prefix, item in node.items:
        start = len(inner) + len(prefix)
        lines.append(inner + prefix + _layout(item, start, inner, 1) + ",")
    return "\n".join(lines + [indent + node.closer])


def _hug_last(node, column: int, indent: str, reserve: int):
    """A tuple, or a call with one positional argument, whose last item opens on the first line.

    Reads like hand-written code: ``("model", Pipeline([`` ... ``]))``. ``None``
    when the node is not of that shape or its first line would not fit.
    """
    *head_items, (last_prefix, last) = node.items
    is_tuple = node.opener == "(" and not node.one_tuple
    single_argument = node.opener.endswith("(") and not head_items and not last_prefix
    if not isinstance(last, _Group) or not (is_tuple or single_argument):
        return None
    if any(not _fits_flat(item) for _, item in head_items):
        return None
    head = node.opener + "".join(prefix + _flat(item) + ", " for prefix, item in head_items)
    head += last_prefix
    text = _layout(last, column + len(head), indent, reserve + len(node.closer))
    first_line = text.split("\n", 1)[0]
    if "\n" not in text or column + len(head) + len(first_line) > WIDTH:
        return None
    return head + text + node.closer


def _fits_flat(node) -> bool:
    return len(_flat(node)) <= WIDTH // 2


def _fill(node, inner: str, indent: str) -> str:
    """Atoms packed into lines (long lists of column names stay compact)."""
    lines, line = [node.opener], inner
    for _, item in node.items:
        piece = item.text + ","
        if line != inner and len(line) + 1 + len(piece) > WIDTH:
            lines.append(line)
            line = inner
        line += piece if line == inner else " " + piece
    lines.append(line)
    return "\n".join(lines + [indent + node.closer])


# ----------------------------------------------------------------- imports
class Imports:
    """The names generated code uses and the import statements that bind them.

    One ``Imports`` shared by several :func:`to_source` calls (and
    :meth:`name_of` calls) gives them one set of names: a name is bound once, and
    two objects of the same name get distinct aliases.

    Parameters
    ----------
    reserved : iterable of str
        Names the surrounding code defines itself; an imported name equal to
        one gets an alias (``name_2``).

    Attributes
    ----------
    bound : dict
        Local name -> ``(module, attribute)`` of each imported name.
    numpy, pandas : bool
        Whether the code uses ``np.`` / ``pd.`` names (``import numpy as np``).

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> imports = Imports(reserved=("Ridge",))
    >>> imports.name_of(Ridge)
    'Ridge_2'
    >>> imports.statements(own=False)
    ['from sklearn.linear_model import Ridge as Ridge_2']
    """

    def __init__(self, reserved=()):
        self.bound = {}
        self.reserved = set(reserved)
        self.numpy = self.pandas = False

    def name_of(self, obj) -> str:
        """The name by which the generated code refers to a class or function."""
        name = getattr(obj, "__name__", None)
        if name is not None and getattr(builtins, name, None) is obj:
            return name
        if name is not None and getattr(np, name, None) is obj:
            self.numpy = True
            return f"np.{name}"
        module = _import_module_of(obj)
        local, n = name, 1
        while local in self.reserved or self.bound.get(local, (module, name)) != (module, name):
            n += 1
            local = f"{name}_{n}"
        self.bound[local] = (module, name)
        return local

    @property
    def own_names(self) -> list[str]:
        """Names imported from this package, sorted."""
        return sorted(local for local, (module, _) in self.bound.items()
                      if _is_own(module))

    def statements(self, own: bool) -> list[str]:
        """``from module import name`` lines of third-party (or this package's) names."""
        modules = {}
        for local, (module, name) in self.bound.items():
            if _is_own(module) == own:
                modules.setdefault(module, []).append(name if local == name
                                                      else f"{name} as {local}")
        lines = []
        for module, names in sorted(modules.items()):
            line = f"from {module} import {', '.join(sorted(names))}"
            if len(line) > WIDTH:
                line = (f"from {module} import (\n"
                        + "".join(f"{INDENT}{name},\n" for name in sorted(names)) + ")")
            lines.append(line)
        return lines


def _is_own(module: str) -> bool:
    return module == OWN_PACKAGE or module.startswith(OWN_PACKAGE + ".")


def _import_module_of(obj) -> str:
    """The shortest public module that exposes ``obj`` under its name."""
    name = getattr(obj, "__name__", None)
    module = getattr(obj, "__module__", None)
    if module == "__main__":
        raise ValueError(
            f"Cannot export {name!r}: it is defined in the __main__ script, which the "
            "exported script cannot import. Move it into an importable module.")
    if not (name and name.isidentifier() and module and _exposes(module, name, obj)):
        raise ValueError(
            f"Cannot export {obj!r}: the script can only import module-level classes and "
            "functions (not lambdas, nested or local definitions). Define it at the top "
            "level of an importable module.")
    parts = module.split(".")
    for end in range(1, len(parts)):
        candidate = ".".join(parts[:end])
        if not any(part.startswith("_") for part in parts[:end]) \
                and _exposes(candidate, name, obj):
            return candidate
    return module


def _exposes(module: str, name: str, obj) -> bool:
    try:
        return getattr(importlib.import_module(module), name, None) is obj
    except ImportError:
        return False


# ------------------------------------------------------------------ values
class _Renderer:
    """Python values and estimators as layout nodes; records what must be imported."""

    def __init__(self, imports: Imports):
        self.imports = imports

    def node(self, value):
        if value is None or isinstance(value, (bool, np.bool_)):
            return _Atom(repr(None if value is None else bool(value)))
        if isinstance(value, numbers.Integral):
            return _Atom(repr(int(value)))
        if isinstance(value, numbers.Real):
            return _Atom(self._float(float(value)))
        if isinstance(value, numbers.Complex):
            return _Atom(repr(complex(value)))
        if isinstance(value, str):
            return _Atom(_string_literal(value))
        if isinstance(value, bytes):
            return _Atom(repr(value))
        if value is pd.NA:
            self.imports.pandas = True
            return _Atom("pd.NA")
        if isinstance(value, (list, tuple, set, frozenset, dict, np.ndarray, np.dtype)):
            return self._container(value)
        if isinstance(value, np.random.RandomState):
            raise TypeError(
                "Cannot export a numpy RandomState: its state is not code. Give the "
                "component an int random_state (or None).")
        if hasattr(value, "get_params") and not isinstance(value, type):
            return self._estimator(value)
        if isinstance(value, PLAIN_INIT_CLASSES):
            return self._call(value, vars(value))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self._dataclass_call(value)
        if isinstance(value, functools.partial):
            items = [("", self.node(value.func))] + [("", self.node(a)) for a in value.args]
            items += [(f"{k}=", self.node(v)) for k, v in value.keywords.items()]
            return _Group(self.imports.name_of(functools.partial) + "(", tuple(items), ")")
        if isinstance(value, type) or callable(value):
            return _Atom(self.imports.name_of(value))
        raise TypeError(f"Cannot write a {type(value).__name__} value ({value!r}) as code; "
                         "use numbers, strings, containers, estimators or module-level "
                         "functions as parameters.")

    def _float(self, value: float) -> str:
        if np.isnan(value) or np.isinf(value):
            self.imports.numpy = True
            return "np.nan" if np.isnan(value) else ("np.inf" if value > 0 else "-np.inf")
        return repr(value)

    def _container(self, value):
        if isinstance(value, np.dtype):
            self.imports.numpy = True
            return _Atom(f"np.dtype({_string_literal(str(value))})")
        if isinstance(value, np.ndarray):
            self.imports.numpy = True
            items = [("", self.node(value.tolist()))]
            if np.array(value.tolist()).dtype != value.dtype:
                items.append(("dtype=", self.node(value.dtype)))
            return _Group("np.array(", tuple(items), ")")
        if isinstance(value, dict):
            return _Group("{", tuple((_flat(self.node(k)) + ": ", self.node(v))
                                     for k, v in value.items()), "}")
        if isinstance(value, (set, frozenset)):
            items = tuple(("", self.node(v)) for v in sorted(value, key=repr))
            text = _Group("{", items, "}") if items else _Atom("set()")
            return text if isinstance(value, set) else _Group("frozenset(", (("", text),), ")")
        items = tuple(("", self.node(v)) for v in value)
        if isinstance(value, list):
            return _Group("[", items, "]")
        return _Group("(", items, ")", one_tuple=len(items) == 1)

    def _estimator(self, estimator):
        params = estimator.get_params(deep=False)
        helper = self._helper_call(estimator, params)
        return helper if helper is not None else self._call(estimator, params)

    def _call(self, obj, params: dict):
        """``Class(required, ..., name=value, ...)`` with the non-default parameters."""
        defaults, required = _init_parameters(type(obj))
        order = [name for name in defaults if name in params]
        order += [name for name in params if name not in defaults]
        items = []
        for name in order:
            value = params[name]
            if name in required:
                items.append(("", self.node(value)))
            elif name not in defaults or not self._is_default(value, defaults[name]):
                items.append((f"{name}=", self.node(value)))
        return _Group(self.imports.name_of(type(obj)) + "(", tuple(items), ")")

    def _dataclass_call(self, value):
        """A dataclass instance as a call with its ``__init__`` fields.

        Components outside this module (the architectures of
        :mod:`automl_estimators.nas`) are rendered this way without being named
        here, which keeps this module below them.
        """
        fields = [field.name for field in dataclasses.fields(value) if field.init]
        defaults, _ = _init_parameters(type(value))
        # An InitVar or a hand-written __init__ takes arguments that no field keeps.
        if set(fields) != set(defaults):
            raise TypeError(
                f"Cannot write a {type(value).__name__} value as code: its __init__ "
                f"arguments {sorted(defaults)} are not its fields {sorted(fields)}. Give it "
                "a dataclass __init__ whose arguments are all kept as fields.")
        return self._call(value, {name: getattr(value, name) for name in fields})

    def _helper_call(self, estimator, params: dict):
        """``make_pipeline(...)`` and the like, when the step names are the helper's own."""
        if type(estimator) not in HELPERS:
            return None
        helper, list_param, unnamed = HELPERS[type(estimator)]
        try:
            made = helper(*unnamed(params[list_param]))
        except (TypeError, ValueError):
            return None
        names = [item[0] for item in params[list_param]]
        if [item[0] for item in made.get_params(deep=False)[list_param]] != names:
            return None
        defaults, _ = _init_parameters(type(estimator))
        helper_defaults = {name: p.default for name, p in
                           inspect.signature(helper).parameters.items()
                           if p.kind is inspect.Parameter.KEYWORD_ONLY}
        items = [("", self.node(item)) for item in unnamed(params[list_param])]
        for name, value in params.items():
            if name == list_param:
                continue
            if name in helper_defaults:
                if not self._is_default(value, helper_defaults[name]):
                    items.append((f"{name}=", self.node(value)))
            elif name not in defaults or not self._is_default(value, defaults[name]):
                return None
        return _Group(self.imports.name_of(helper) + "(", tuple(items), ")")

    def _is_default(self, value, default) -> bool:
        """Whether ``value`` is written as the same code as ``default``.

        Same code means same value and same kind: ``1`` and ``1.0`` differ, as
        many estimators read an int as a count and a float as a share.
        """
        if value is default:
            return True
        if value is None or default is None or default is inspect.Parameter.empty:
            return False
        scratch = _Renderer(Imports())
        try:
            return _flat(scratch.node(value)) == _flat(scratch.node(default))
        except ValueError:
            return False


def _init_parameters(cls) -> tuple[dict, list]:
    """(parameter -> default in ``__init__`` signatures along the MRO, leading required ones).

    Walking the MRO finds defaults that a subclass passes on through
    ``**kwargs`` (xgboost's ``XGBClassifier`` -> ``XGBModel``).
    """
    defaults, required = {}, []
    inits = [klass.__dict__["__init__"] for klass in cls.__mro__
             if "__init__" in klass.__dict__ and klass is not object]
    for init in inits:
        parameters = list(inspect.signature(init).parameters.values())[1:]
        for position, parameter in enumerate(parameters):
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            defaults.setdefault(parameter.name, parameter.default)
            # Leading required arguments of the __init__ that runs are written positionally.
            if (init is inits[0] and parameter.default is parameter.empty
                    and parameter.kind is parameter.POSITIONAL_OR_KEYWORD
                    and position == len(required)):
                required.append(parameter.name)
    return defaults, required


def _string_literal(text: str) -> str:
    literal = repr(text)
    if literal.startswith("'") and '"' not in text and "'" not in text:
        literal = '"' + literal[1:-1] + '"'
    return literal


# ------------------------------------------------------------------ source
@dataclass(frozen=True)
class Source:
    """The code that builds an estimator.

    Attributes
    ----------
    code : str
        One Python expression, laid out within :data:`WIDTH` columns where names allow.
    imports : tuple of str
        The import statements it needs: numpy/pandas, then third-party names,
        then this package's own components.
    own_names : tuple of str
        The names imported from ``automl_estimators`` (empty when none).
    """

    code: str
    imports: tuple
    own_names: tuple

    def build(self):
        """Run the imports and the expression: a new, unfitted estimator."""
        namespace = {}
        exec("\n".join(self.imports), namespace)  # noqa: S102 - code generated here
        return eval(self.code, namespace)


def to_source(estimator, *, indent: str = "", column: int | None = None,
              imports: Imports | None = None) -> Source:
    """The code that builds ``estimator`` with its non-default parameters.

    Parameters
    ----------
    estimator : estimator or value
        Any scikit-learn compatible estimator (or a value such as a list of them,
        a string, a number).
    indent : str
        Indentation of the lines after the first (the expression's own column).
    column : int or None
        The column where the expression's first line starts, for code placed
        after other text on its line (``return ...``); ``None``: ``len(indent)``.
    imports : Imports or None
        The names to share with other generated code; ``None``: new ones that
        avoid the names of the exported script (:data:`SCRIPT_NAMES`).

    Returns
    -------
    Source
        The expression and the import statements of all names ``imports`` holds.

    Raises
    ------
    ValueError
        A function or class the script cannot import: a lambda, a local
        definition, a definition in the ``__main__`` script.
    TypeError
        A parameter value that has no code form (a numpy ``RandomState``, an
        open file, ...).

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> to_source(Ridge(alpha=0.5)).code
    'Ridge(alpha=0.5)'
    >>> to_source(["a", None]).code
    '["a", None]'
    """
    if imports is None:
        imports = Imports(reserved=SCRIPT_NAMES)
    node = _Renderer(imports).node(estimator)
    code = _layout(node, len(indent) if column is None else column, indent, 0)
    lines = (["import numpy as np"] if imports.numpy else [])
    lines += (["import pandas as pd"] if imports.pandas else [])
    lines += imports.statements(own=False) + imports.statements(own=True)
    return Source(code, tuple(lines), tuple(imports.own_names))
