"""Create one virtual environment per benchmarked system and record its pins.

Usage
-----
    nice -n 19 python benchmarks/peers/install.py                 # every venv
    nice -n 19 python benchmarks/peers/install.py flaml tpot      # some of them
    nice -n 19 python benchmarks/peers/install.py --force flaml   # rebuild one

Venvs go to ``benchmarks/peers/.venvs/<name>`` (git-ignored); a venv whose last
install succeeded is skipped unless ``--force``. Each step's output goes to
``.venvs/<name>.log``; the outcome (ok or the failing step and its last lines) to
``.venvs/<name>.json``; ``pip freeze`` of a working venv to ``pins/<name>.txt``
(committed, so a result can name the exact versions it ran with).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time

from envs import ENVS, PINS, TORCH, VENVS

TAIL_LINES = 25  # lines of a failing step's output kept in the status JSON


def base_python():
    """Python 3.11 interpreter the venvs are made from (the peers' wheels target it)."""
    return shutil.which("python3.11") or sys.executable


def run_step(args, log):
    """Run one command, appending its output to ``log``; return (return code, output)."""
    log.write(f"\n$ {' '.join(map(str, args))}\n")
    log.flush()
    proc = subprocess.run(list(map(str, args)), check=False, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    log.write(proc.stdout)
    log.flush()
    return proc.returncode, proc.stdout


def steps(env):
    """The commands that build ``env``, in order, each with a short name."""
    pip = [env.python, "-m", "pip", "install", "--progress-bar", "off"]
    out = [("venv", [base_python(), "-m", "venv", "--clear", VENVS / env.name])]
    if env.torch:
        out.append(("torch", [*pip, TORCH]))
    out.append(("requirements", [*pip, *env.requirements]))
    if env.check:
        out.append(("import", [env.python, "-c", env.check]))
    out.append(("freeze", [env.python, "-m", "pip", "freeze", "--all"]))
    return out


def install(env, force=False):
    """Build one venv; return its status record (also written next to it)."""
    status_path = VENVS / f"{env.name}.json"
    if not force and status_path.exists() and json.loads(status_path.read_text())["ok"]:
        return json.loads(status_path.read_text())
    VENVS.mkdir(parents=True, exist_ok=True)
    record = {"name": env.name, "ok": False, "requirements": list(env.requirements),
              "torch": TORCH if env.torch else None}
    start = time.perf_counter()
    with open(VENVS / f"{env.name}.log", "w") as log:
        for name, args in steps(env):
            rc, output = run_step(args, log)
            if rc != 0:
                record.update(failed_step=name, command=" ".join(map(str, args)), rc=rc,
                              output_tail="\n".join(output.splitlines()[-TAIL_LINES:]))
                break
            if name == "freeze":
                write_pins(env.name, output)
                record["ok"] = True
    record["seconds"] = round(time.perf_counter() - start, 1)
    status_path.write_text(json.dumps(record, indent=1))
    return record


def write_pins(name, freeze):
    """Keep ``pip freeze`` as ``pins/<name>.txt``; an editable install by name only."""
    lines = []
    for line in freeze.splitlines():
        if line.startswith("-e ") or " @ file://" in line:
            line = line.split(" @ ")[0] if " @ " in line else "-e <this repository>"
        lines.append(line)
    PINS.mkdir(exist_ok=True)
    (PINS / f"{name}.txt").write_text("\n".join(lines) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help=f"venvs to build (default: all of "
                                             f"{', '.join(ENVS)})")
    ap.add_argument("--force", action="store_true", help="rebuild even if installed")
    args = ap.parse_args(argv)
    unknown = set(args.names) - set(ENVS)
    if unknown:
        ap.error(f"unknown venv(s) {', '.join(sorted(unknown))}; known: {', '.join(ENVS)}")
    failed = 0
    for name in args.names or ENVS:
        print(f"[{time.strftime('%H:%M:%S')}] {name} ...", flush=True)
        record = install(ENVS[name], args.force)
        if record["ok"]:
            print(f"    ok ({record.get('seconds')} s), pins in {PINS / (name + '.txt')}",
                  flush=True)
        else:
            failed += 1
            print(f"    FAILED at {record['failed_step']} (rc={record['rc']}): "
                  f"{record['command']}\n{record['output_tail']}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
