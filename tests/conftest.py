"""Test-session settings shared by every test file."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _single_threaded_blas():
    # The tests fit many small models; on a 2-core machine a multi-threaded
    # BLAS spends more time synchronising threads than computing (measured
    # ~12x slower per small LogisticRegression fit), so pin it to one thread.
    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def dask_block_lengths(monkeypatch):
    """The row counts of the dask blocks the metrics count, as they count them."""
    from skfair.metrics import _dask

    seen = []
    count_block = _dask._block_counts

    def recording(y_true, *args):
        seen.append(len(y_true))
        return count_block(y_true, *args)

    monkeypatch.setattr(_dask, "_block_counts", recording)
    return seen
