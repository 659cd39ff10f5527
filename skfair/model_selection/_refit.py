"""Refit rules for scikit-learn's searches: the most accurate model within a gap.

A ``refit=`` callable of :class:`~sklearn.model_selection.GridSearchCV` /
:class:`~sklearn.model_selection.RandomizedSearchCV` takes the search's
``cv_results_`` and returns the index of the candidate to refit on all the
rows (scikit-learn then sets ``best_index_`` and ``best_params_`` from it,
but no ``best_score_``). :func:`most_accurate_within` builds one that reads
two columns of a multi-metric search: a score to maximise and a fairness
scorer's column, whose sign convention it undoes to get each candidate's
gap.
"""

import numbers
import warnings

import numpy as np

__all__ = ["most_accurate_within"]


def _check_key(name, value):
    if not isinstance(value, str) or not value:
        raise ValueError(
            f"{name} must be a key of the search's scoring dict (a non-empty "
            f"string, such as 'accuracy'); got {value!r}."
        )


def _check_max_gap(max_gap):
    if (
        isinstance(max_gap, bool)
        or not isinstance(max_gap, numbers.Real)
        or not np.isfinite(max_gap)
        or max_gap < 0
    ):
        raise ValueError(
            "max_gap must be a finite number >= 0, the largest mean gap "
            "accepted in rate units (0.05 for a difference of 5 points, 0.2 "
            f"for a ratio of at least 0.8); got {max_gap!r}."
        )
    return float(max_gap)


def _column(cv_results, key, role):
    """The ``mean_test_<key>`` column as floats, or a ValueError naming the keys."""
    column = f"mean_test_{key}"
    if column not in cv_results:
        available = sorted(
            name[len("mean_test_") :]
            for name in cv_results
            if name.startswith("mean_test_")
        )
        hint = ""
        if available == ["score"]:
            hint = (
                " A single scorer gives only 'score': pass scoring= as a dict, "
                "e.g. {'accuracy': 'accuracy', 'equalized_odds_difference': "
                "make_fairness_scorer('equalized_odds_difference', "
                "sensitive_cols=...)}."
            )
        raise ValueError(
            f"most_accurate_within: {role}={key!r} is not a scorer of this "
            f"search: cv_results_ has no {column!r}. The scorers it has "
            f"(mean_test_*) are {available}.{hint}"
        )
    return np.asarray(cv_results[column], dtype=float)


class _MostAccurateWithin:
    """The refit callable made by :func:`most_accurate_within` (picklable).

    A class rather than a closure so that a search holding it pickles (for
    ``n_jobs``, joblib caches and saved models) and shows a readable repr.
    """

    def __init__(self, max_gap, score, gap):
        self.max_gap = max_gap
        self.score = score
        self.gap = gap

    def __repr__(self):
        return (
            f"most_accurate_within({self.max_gap!r}, score={self.score!r}, "
            f"gap={self.gap!r})"
        )

    def __eq__(self, other):
        if not isinstance(other, _MostAccurateWithin):
            return NotImplemented
        return (self.max_gap, self.score, self.gap) == (
            other.max_gap,
            other.score,
            other.gap,
        )

    def __hash__(self):
        return hash((type(self), self.max_gap, self.score, self.gap))

    def gaps(self, cv_results):
        """Each candidate's mean gap: minus the mean of the ``gap`` scorer.

        Parameters
        ----------
        cv_results : dict
            The ``cv_results_`` of a multi-metric search.

        Returns
        -------
        gaps : ndarray of shape (n_candidates,)
            ``-mean_test_<gap>``; NaN where a split's score was NaN.
        """
        scores = _column(cv_results, self.gap, "gap")
        positive = scores > 0
        if positive.any():
            first = int(np.flatnonzero(positive)[0])
            raise ValueError(
                f"most_accurate_within: mean_test_{self.gap} is positive "
                f"({scores[first]:.4g} for candidate {first}), so it is not a "
                "gap scored as minus its distance from parity. Use "
                "make_fairness_scorer with a metric name (a difference scores "
                "-d, a ratio r - 1), or any scorer that returns minus the gap."
            )
        return -scores

    def __call__(self, cv_results):
        scores = _column(cv_results, self.score, "score")
        gaps = self.gaps(cv_results)
        defined = ~np.isnan(gaps)
        if not defined.any():
            raise ValueError(
                f"most_accurate_within: every candidate's mean_test_{self.gap} "
                "is NaN, so no candidate's gap is known. The fairness scorer "
                "failed on the splits (see the 'Scoring failed' warnings; "
                "error_score='raise' shows the error): a scorer built without "
                "sensitive_cols needs sensitive_features routed to it."
            )
        within = defined & (gaps <= self.max_gap) & ~np.isnan(scores)
        if within.any():
            # np.argmax takes the first of equal scores, as the search's
            # rank_test_* does for a refit on one metric.
            return int(np.argmax(np.where(within, scores, -np.inf)))
        fairest = self._fairest(gaps, scores, defined)
        from ..exceptions import NoCandidateWithinGapWarning

        warnings.warn(
            f"No candidate has a mean gap <= {self.max_gap:g} (read from "
            f"mean_test_{self.gap}) and a defined mean {self.score}; refitting "
            f"the fairest candidate instead: candidate {fairest}, gap "
            f"{gaps[fairest]:.4g}, "
            f"{self.score} {scores[fairest]:.4g} "
            f"({int((~defined).sum())} of {len(gaps)} candidates have an "
            "undefined gap).",
            NoCandidateWithinGapWarning,
            stacklevel=2,
        )
        return fairest

    @staticmethod
    def _fairest(gaps, scores, defined):
        """The smallest defined gap; among equal gaps the best defined score."""
        smallest = np.min(gaps[defined])
        tied = defined & (gaps == smallest)
        if (tied & ~np.isnan(scores)).any():
            tied &= ~np.isnan(scores)
            return int(np.argmax(np.where(tied, scores, -np.inf)))
        return int(np.flatnonzero(tied)[0])


def most_accurate_within(max_gap, *, score="accuracy", gap="equalized_odds_difference"):
    """A ``refit=`` rule: the best mean ``score`` among candidates within ``max_gap``.

    Give the callable it returns as ``refit=`` to
    :class:`~sklearn.model_selection.GridSearchCV` or
    :class:`~sklearn.model_selection.RandomizedSearchCV` with a multi-metric
    ``scoring`` dict that has the keys ``score`` and ``gap``. After the
    cross-validation it picks, from ``cv_results_``:

    1. among the candidates whose mean gap over the splits is at most
       ``max_gap`` (and whose mean ``score`` is defined), the one with the
       best mean ``score`` (the first of equal ones);
    2. if there is none, the fairest candidate (smallest mean gap; among
       equal gaps the best score), with a
       :class:`~skfair.exceptions.NoCandidateWithinGapWarning`.

    The search refits that candidate on all the rows, as for ``refit=True``.

    **How the gap is read.** The ``gap`` column is expected to follow
    :func:`~skfair.metrics.make_fairness_scorer`'s convention for a metric
    name: the score is minus the distance from parity, so the gap is
    **minus the mean score**:

    - for a difference (``"equalized_odds_difference"``, ...) the score is
      ``-d`` and the gap is the mean difference ``d``;
    - for a ratio (``"demographic_parity_ratio"``, ...) the score is
      ``r - 1`` and the gap is ``1 - r``: ``max_gap=0.2`` keeps the
      candidates whose mean ratio is at least 0.8 (the four-fifths rule).
      A ratio above 1 counts as its inverse, as in the scorer.

    Any scorer that returns minus a gap (for instance
    ``make_scorer(f, greater_is_better=False)``) works the same way; a
    positive mean in the ``gap`` column is not a gap so scored, and raises a
    ``ValueError``.

    Parameters
    ----------
    max_gap : float
        The largest mean gap accepted, in the metric's units (a difference of
        0.05 is five points of rate), a finite number >= 0.
    score : str, default="accuracy"
        The key of the score to maximise in the ``scoring`` dict (read from
        ``cv_results_["mean_test_<score>"]``, greater is better).
    gap : str, default="equalized_odds_difference"
        The key of the fairness scorer in the ``scoring`` dict (read from
        ``cv_results_["mean_test_<gap>"]``).

    Returns
    -------
    refit : callable
        ``refit(cv_results) -> int``, the index of the chosen candidate.
        It pickles, compares equal to another rule with the same arguments,
        and its repr (shown in the search's repr) repeats the call.

    Raises
    ------
    ValueError
        Here, for a ``max_gap`` that is not a finite number >= 0 or keys that
        are not non-empty strings (or are the same key). In the search's
        ``fit``, when ``cv_results_`` has no ``mean_test_<score>`` or
        ``mean_test_<gap>`` (the message lists the scorers it has), when the
        ``gap`` column has positive values, or when every candidate's gap is
        NaN (the fairness scorer failed on every candidate, typically because
        it did not get the groups).

    Notes
    -----
    A candidate whose mean gap is NaN (a split where the fairness scorer
    failed or the metric was undefined) is never within ``max_gap``, and it
    is never the fairest either: nothing is known of its gap. The rule sees
    only the means over the splits; a mean gap within ``max_gap`` does not
    bound the gap of the refitted model on new data (see
    :func:`~skfair.metrics.gap_upper_bound` for a bound that does).

    Examples
    --------
    The rule reads ``cv_results_``; here a hand-made one with three
    candidates whose equalized-odds gaps are 0.10, 0.04 and 0.02:

    >>> import numpy as np
    >>> from skfair.model_selection import most_accurate_within
    >>> refit = most_accurate_within(0.05, score="accuracy", gap="eo")
    >>> refit
    most_accurate_within(0.05, score='accuracy', gap='eo')
    >>> cv_results = {"mean_test_accuracy": np.array([0.86, 0.84, 0.80]),
    ...               "mean_test_eo": np.array([-0.10, -0.04, -0.02])}
    >>> refit(cv_results)
    1

    In a search, with a fairness scorer that reads the groups from ``X``:

    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skfair.metrics import make_fairness_scorer
    >>> from skfair.preprocessing import Reweighing
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=300),
    ...                   "sex": rng.choice(["f", "m"], size=300)})
    >>> y = (X["x"] + (X["sex"] == "m") + rng.normal(size=300) > 0.5).astype(int)
    >>> search = GridSearchCV(
    ...     Reweighing(LogisticRegression(), sensitive_cols="sex"),
    ...     {"estimator__C": [0.001, 0.01, 1.0]},
    ...     scoring={"accuracy": "accuracy",
    ...              "eo": make_fairness_scorer("equalized_odds_difference",
    ...                                         sensitive_cols="sex")},
    ...     refit=most_accurate_within(0.2, gap="eo"), cv=3).fit(X, y)
    >>> i = search.best_index_
    >>> bool(-search.cv_results_["mean_test_eo"][i] <= 0.2)
    True
    """
    max_gap = _check_max_gap(max_gap)
    _check_key("score", score)
    _check_key("gap", gap)
    if score == gap:
        raise ValueError(
            f"score and gap are both {score!r}; give the key of the score to "
            "maximise and the key of the fairness scorer."
        )
    return _MostAccurateWithin(max_gap, score, gap)
