"""benchmarks/memory_profile.py on the data the peers harness gives a system: its
split (``protocol.split_indices``) read by ``protocol.read_split``, text columns
as ``object``. ``memory_profile.py`` itself reads ``common.load_split``'s frame,
whose text columns pandas 3 types ``str``: the same rows, another search path (a
300 s fit on diamonds peaked at 2392 MB that way and at 3996 MB this way, seed 0,
session 52).

Usage (the harness's environment too: two cores, OpenMP's passive wait)
-----
    OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 taskset -c 0,1 \\
        .venv/bin/python benchmarks/memory_profile_harness_split.py diamonds \\
        --budget 300 --seed 0 --every 10

Every option is ``memory_profile.py``'s.
"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "peers")]
import memory_profile  # noqa: E402
import memory_scale  # noqa: E402
from common import DATA_DIR, dataset_entry  # noqa: E402
from protocol import read_split, split_indices  # noqa: E402


def load(case, seed=0):
    """(X_train, X_test, y_train, y_test) as the harness gives them to a system."""
    entry = dataset_entry(case)
    return read_split(DATA_DIR / entry["file"], split_indices(entry, seed))


if __name__ == "__main__":
    memory_scale.load = load  # memory_profile.main reads it at its call
    sys.exit(memory_profile.main())
