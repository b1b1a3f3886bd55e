"""Sphinx configuration of the automl-estimators documentation site.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` from the
repository root (README, "Documentation"). The gallery's examples (``examples/``)
run during the build; ``AUTOML_EXAMPLES_BUDGET`` (seconds, read by each example)
sets their time budgets: tests/test_docs.py builds at a tiny one, a release build
leaves it unset (the examples' real budgets).
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import automl_estimators  # noqa: E402 - the checkout's package, not an installed one

project = "automl-estimators"
author = "the automl-estimators developers"
copyright = "2026, the automl-estimators developers"
release = version = automl_estimators.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

# docs/architecture.md, docs/benchmarks.md and docs/contributing.md are pages of
# the site as they are (one source, read on GitHub and here).
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "auto_examples/*.md5",
                    "auto_examples/*.json", "sg_execution_times.rst"]
templates_path = ["_templates"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# The committed benchmark reports (benchmarks/**/*.md, with their plots) are pages of
# the site where they lie, through a link made at build time: a new report needs no
# edit here, and links between them and from the pages above (../benchmarks/...)
# keep working on GitHub and here alike.
_REPORTS = Path(__file__).parent / "generated" / "benchmarks"
_REPORTS.parent.mkdir(exist_ok=True)
if not _REPORTS.is_symlink():
    _REPORTS.symlink_to(ROOT / "benchmarks", target_is_directory=True)
exclude_patterns += ["generated/benchmarks/results/raw", "generated/benchmarks/peers/results/raw*",
                     "generated/benchmarks/peers/.venvs"]

# -- API reference ------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
# A class page lists its own methods and those it inherits from this package's bases
# (fit, export: _AutoBase); what comes from scikit-learn's or Python's classes
# (score, get_params, set_output, str methods) is theirs: _skip_foreign.
autodoc_default_options = {"inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Types stay text: they name sklearn/numpy/pandas objects in prose, and linking
# them would need intersphinx, which needs the network at build time.
numpydoc_xref_param_type = False

_SHAPE_OF_ATTRIBUTE = re.compile(r"\((\w+_),\)")


def _literal_attribute_shapes(app, what, name, obj, options, lines):
    """A shape named after a fitted attribute, ``(n_features_in_,)``, is code: as bare
    text, reST reads the trailing underscore as a link to a target."""
    lines[:] = [_SHAPE_OF_ATTRIBUTE.sub(r"(``\1``,)", line) for line in lines]


def _skip_foreign(app, what, name, obj, skip, options):
    """Leave out a class's members defined outside this package (scikit-learn's
    mixins, its metadata-routing ``set_*_request``, ``str``'s methods of an enum)."""
    if what != "class":
        return None
    module = getattr(getattr(obj, "fget", obj), "__module__", None) or ""
    return True if not module.startswith("automl_estimators") else None


_REPORT_LINK = re.compile(r"\[([^\]]+)\]\(\.\./benchmarks/([^)#]+)\.md\)")


def _reports_in_site(app, docname, source):
    """The top-level pages (docs/*.md) link to reports as ``../benchmarks/X.md``, the
    path on GitHub; in the site the same files are the pages ``generated/benchmarks/X``
    (a plain relative link would be resolved through the build-time link, out of
    the site)."""
    if "/" not in docname:
        source[0] = _REPORT_LINK.sub(
            lambda m: f"{{doc}}`{m[1].replace('`', '')} </generated/benchmarks/{m[2]}>`",
            source[0])


# -- Gallery ------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # every example runs in the build: none is shown without its output
    "filename_pattern": r".*\.py$",
    # Left out until the estimators have summary() and the plot_* methods (issue 24's
    # companion): to publish it, delete its name from this pattern.
    "ignore_pattern": r"__init__\.py$",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "capture_repr": ("_repr_html_", "__repr__"),
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "write_computation_times": False,
    # "Examples using X" on each API page
    "doc_module": ("automl_estimators",),
    "backreferences_dir": "generated/backreferences",
}

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"automl-estimators {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_static_path = []
html_show_sourcelink = False


def setup(app):
    app.connect("autodoc-process-docstring", _literal_attribute_shapes, priority=400)
    app.connect("source-read", _reports_in_site)
    app.connect("autodoc-skip-member", _skip_foreign)
