"""Estimators that misbehave on purpose, importable by worker processes."""

import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier


class Sleeper(ClassifierMixin, BaseEstimator):
    """Hangs in fit for ``seconds``."""

    def __init__(self, seconds=60.0):
        self.seconds = seconds

    def fit(self, X, y):
        time.sleep(self.seconds)
        self.model_ = DummyClassifier().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


class MemoryHog(Sleeper):
    """Allocates ``megabytes`` of memory in fit."""

    def __init__(self, megabytes=4000):
        self.megabytes = megabytes

    def fit(self, X, y):
        self.block_ = np.ones(self.megabytes * 2**20 // 8)
        self.seconds = 0.0
        return Sleeper.fit(self, X, y)


class Crasher(Sleeper):
    """Raises in fit."""

    def __init__(self):
        pass

    def fit(self, X, y):
        raise RuntimeError("deliberate failure in fit")


class BusyInC(Sleeper):
    """Spends its fit in compiled code (libsvm), where Python signal handlers wait."""

    def __init__(self, rows=20_000):
        self.rows = rows

    def fit(self, X, y):
        from sklearn.svm import SVR

        rng = np.random.default_rng(0)
        SVR(C=100.0).fit(rng.random((self.rows, 20)), rng.random(self.rows))
        self.seconds = 0.0
        return Sleeper.fit(self, X, y)


def imported(module):
    """Whether ``module`` is already imported in this (worker) process."""
    import sys

    return module in sys.modules


class SlowLearner(Sleeper):
    """Learns (a logistic regression) after hanging ``seconds`` in fit."""

    def fit(self, X, y):
        from sklearn.linear_model import LogisticRegression

        time.sleep(self.seconds)
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self


class SlowPredictor(SlowLearner):
    """Learns (a logistic regression) at once, then sleeps ``seconds`` in every predict."""

    def fit(self, X, y):
        from sklearn.linear_model import LogisticRegression

        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        time.sleep(self.seconds)
        return self.model_.predict(X)

    def predict_proba(self, X):
        time.sleep(self.seconds)
        return self.model_.predict_proba(X)


class Sized(SlowLearner):
    """A logistic regression that reports ``size`` as its ``n_parameters_`` (as a network does)."""

    def __init__(self, size=10, C=1.0):
        self.size = size
        self.C = C

    def fit(self, X, y):
        from sklearn.linear_model import LogisticRegression

        self.model_ = LogisticRegression(C=self.C).fit(X, y)
        self.classes_ = self.model_.classes_
        self.n_parameters_ = self.size
        return self


class Interrupter(Sleeper):
    """Presses Ctrl-C in fit: SIGINT to the fitting process ``pid`` and to itself
    (a terminal's Ctrl-C reaches its whole foreground process group), then hangs
    for ``seconds``. The signal arrives while this trial runs, whatever the load."""

    def __init__(self, pid=0, seconds=60.0):
        self.pid = pid
        self.seconds = seconds

    def fit(self, X, y):
        import os
        import signal

        os.kill(self.pid, signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
        return Sleeper.fit(self, X, y)


class KillsItsWorker(Sleeper):
    """Kills the Dask worker process running it (the first of its ancestors in
    ``pids``) with SIGKILL, once: the first to create ``marker`` does, and writes
    its own pid there; then hangs for ``seconds``. Run again elsewhere, it only hangs."""

    def __init__(self, pids=(), marker="", seconds=60.0):
        self.pids = pids
        self.marker = marker
        self.seconds = seconds

    def fit(self, X, y):
        import os
        import signal

        import psutil

        try:
            marker = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return Sleeper.fit(self, X, y)
        os.write(marker, str(os.getpid()).encode())
        os.close(marker)
        worker = next(p for p in psutil.Process().parents() if p.pid in self.pids)
        worker.send_signal(signal.SIGKILL)
        return Sleeper.fit(self, X, y)


# Set in a worker process by Poisoner: the state a failure in native code can leave.
POISONED = False


class Poisoner(Sleeper):
    """Fails in fit as oneDNN did under a worker's address-space cap, and leaves its
    process failing every later fit of a :class:`PoisonSensitive`."""

    def __init__(self):
        pass

    def fit(self, X, y):
        global POISONED
        POISONED = True
        raise RuntimeError("could not create a primitive")


class PoisonSensitive(Sleeper):
    """Fits (recording its process id) unless a :class:`Poisoner` failed in its process."""

    def __init__(self):
        self.seconds = 0.0

    def fit(self, X, y):
        import os

        if POISONED:
            raise RuntimeError("could not create a primitive")
        self.pid_ = os.getpid()
        return Sleeper.fit(self, X, y)


class AddressSpaceCap(Sleeper):
    """Fits at once, recording its process's address-space cap (``RLIMIT_AS``)."""

    def __init__(self):
        self.seconds = 0.0

    def fit(self, X, y):
        import resource

        self.cap_ = resource.getrlimit(resource.RLIMIT_AS)[0]
        return Sleeper.fit(self, X, y)
