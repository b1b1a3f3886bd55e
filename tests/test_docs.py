"""The documentation site builds with warnings as errors, every example run.

This is the README's build command (``python -m sphinx -W --keep-going -b html docs
...``) at a tiny example budget (``AUTOML_EXAMPLES_BUDGET``): a docstring that
reST cannot read, a page or link that points nowhere, or an example that raises
fails it. The examples are run again even when a local build already ran them
(``run_stale_examples``). Skipped, with the reason, where the docs' requirements
(``pip install -e ".[docs]"``, part of ``dev``) are not installed.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Seconds per fit in the examples: enough for the strong default to finish on
# their small datasets, so every example's code path runs, under a busy machine.
EXAMPLES_BUDGET = "3"

for module in ("sphinx", "numpydoc", "sphinx_gallery", "myst_parser", "pydata_sphinx_theme",
               "matplotlib", "distributed", "mnist1d", "torch"):
    pytest.importorskip(module, reason=f"the docs build needs {module}: pip install -e '.[docs]'")


@pytest.mark.slow  # the suite's longest test: scheduled first (tests/conftest.py)
@pytest.mark.timeout(600)
def test_site_builds_without_warnings(tmp_path):
    html = tmp_path / "html"
    env = {**os.environ, "AUTOML_EXAMPLES_BUDGET": EXAMPLES_BUDGET,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "MPLBACKEND": "agg"}
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), "-D", "sphinx_gallery_conf.run_stale_examples=1",
         str(ROOT / "docs"), str(html)],
        check=False, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"docs build failed:\n{done.stderr[-6000:]}\n{done.stdout[-2000:]}"

    examples = sorted(p.stem for p in (ROOT / "examples").glob("plot_*.py"))
    built = {p.stem for p in (html / "auto_examples").glob("plot_*.html")}
    assert set(examples) <= built
    for page in ["index", "getting_started", "api", "comparison", "benchmarks",
                 "architecture", "contributing", "user_guide/budget",
                 "generated/automl_estimators.AutoClassifier",
                 "generated/benchmarks/results/budget"]:
        assert (html / f"{page}.html").is_file(), page
    api = (html / "generated" / "automl_estimators.AutoClassifier.html").read_text()
    for fitted in ["leaderboard_", "best_pipeline_", "search_plan_", "refit_"]:
        assert fitted in api
