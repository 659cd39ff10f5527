"""Test-session settings shared by every test file."""

import numpy as np
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


@pytest.fixture(scope="module")
def dask_client():
    """A 2-worker in-process dask cluster, started once for the module.

    In-process workers (threads) start in a fraction of a second and need no
    ``if __name__ == "__main__"`` guard; they still run the graph through the
    distributed scheduler, two tasks at a time. Request it by name, or for a
    whole module with ``pytestmark = pytest.mark.usefixtures("dask_client")``.
    """
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster) as client:
            yield client


@pytest.fixture
def three_group_data():
    """A maker of ``(X, y, group)``: 10 features shifted by the group (3
    groups), a noisy linear label. Equalized odds at tolerance 0 needs every
    one of the six (group, label) rates within one row's step."""

    def make(n, seed):
        rng = np.random.RandomState(seed)
        group = rng.randint(0, 3, n)
        X = rng.normal(size=(n, 10)) + 0.4 * group[:, None]
        signal = X[:, 0] + 0.5 * X[:, 1] - 0.25 * X[:, 2]
        y = (signal + rng.normal(size=n) > 0.8).astype(int)
        return X, y, group

    return make


@pytest.fixture
def recidivism_data():
    """A maker of ``(y, y_hat, race, sex)``: race x sex groups like a
    recidivism test set (2,165 rows), one group of 1 row and one of 3.

    The two tiny groups' rows are all predicted wrong, so that every gap
    over all groups, the headline they would drive, reads 1.0.
    """

    def make(seed):
        rng = np.random.default_rng(seed)
        n = 2161
        race = rng.choice(["black", "white", "hispanic"], n, p=[0.5, 0.35, 0.15])
        sex = rng.choice(["female", "male"], n, p=[0.25, 0.75])
        y = (rng.random(n) < 0.45).astype(int)
        y_hat = np.where(rng.random(n) < 0.7, y, 1 - y)
        race = np.concatenate([race, ["native"], ["asian"] * 3])
        sex = np.concatenate([sex, ["male"], ["female"] * 3])
        y = np.concatenate([y, [1], [1, 1, 0]])
        y_hat = np.concatenate([y_hat, [1], [0, 0, 0]])
        return y, y_hat, race, sex

    return make
