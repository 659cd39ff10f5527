"""The parts of benchmarks/dask_scale.py that run on the Dask workers.

They live in their own module so that the worker processes can import them
by name: benchmarks/run.py loads dask_scale.py under a private module name
that a worker could not import, and distributed pickles functions and
classes of an importable module by reference.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


def block_sums(*blocks):
    """The sum of each block (to generate the blocks and return little)."""
    return [block.sum() for block in blocks]


def rss():
    """Resident set size of this process, in bytes."""
    import psutil

    return psutil.Process().memory_info().rss


def worker_memory_limit(dask_worker):
    """The worker's memory limit, in bytes (for ``client.run``)."""
    return dask_worker.memory_manager.memory_limit


class RoundedScores(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose probabilities are rounded to ``decimals``.

    ThresholdOptimizer's Dask route summarises each group by the weight of
    its positives and negatives at each distinct score: exact, and as long as
    the number of distinct scores. A LogisticRegression's probabilities are
    all distinct, so on 20M rows the merged summary holds 20M scores (480 MB,
    more while two halves are merged), which a 1.5 GB worker cannot hold.
    Rounded to 4 decimals there are at most 10,001 scores per group; the
    rules are then the exact ones for the rounded scores (in memory too).
    """

    def __init__(self, model, decimals=4):
        self.model = model
        self.decimals = decimals

    def fit(self, X, y):
        self.model.fit(X, y)
        return self

    def __sklearn_is_fitted__(self):
        return hasattr(self.model, "classes_")

    @property
    def classes_(self):
        return self.model.classes_

    def predict_proba(self, X):
        return np.round(self.model.predict_proba(X), self.decimals)
