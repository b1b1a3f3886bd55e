"""One torch thread per test: the suite shares small machines, and torch's
default (all cores) spins against other processes instead of helping."""

import pytest

from automl_estimators.nas.torch_dependency import torch_available


@pytest.fixture(autouse=True)
def one_torch_thread():
    if not torch_available():
        yield
        return
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)
