"""Scorers for hyperparameter search built from the fairness metrics."""

import inspect

from sklearn.metrics import make_scorer
from sklearn.utils.metadata_routing import MetadataRequest, get_routing_for_object

from ..utils import split_sensitive_columns
from ..utils._sklearn_compat import _routing_enabled, _Scorer
from ._fairness import FAIRNESS_METRICS


def _resolve_metric(metric):
    if isinstance(metric, str):
        try:
            return FAIRNESS_METRICS[metric]
        except KeyError:
            raise ValueError(
                f"Unknown fairness metric {metric!r}; use one of "
                f"{sorted(FAIRNESS_METRICS)} or a callable "
                "f(y_true, y_pred, *, sensitive_features, sample_weight=None)."
            ) from None
    if callable(metric):
        return metric
    raise ValueError(
        f"metric must be a metric name or a callable; got {type(metric).__name__}."
    )


def _parity_distance(name, value):
    """How far the value of the metric ``name`` is from parity (0 is parity).

    Differences and signed metrics (``average_odds_difference``) are at parity
    at 0, from either side: the distance is ``|d|``. Ratios are at parity at
    1; a ratio above 1 (``disparate_impact_ratio`` when the unprivileged rows
    are favoured) is folded to its inverse first, so that favouring either
    group by the same factor is equally far: the distance is
    ``1 - min(r, 1 / r)``, which is ``1 - r`` for the ratios bounded by 1.
    NaN (an undefined metric) stays NaN.
    """
    if name.endswith("_ratio"):
        folded = value if value <= 1 else 1 / value
        return 1 - folded
    return abs(value)


class _ParityScore:
    """Score of a named metric: minus its distance from parity (picklable).

    A class rather than a closure so that the scorer pickles for ``n_jobs``;
    its ``__call__`` signature tells scikit-learn that it takes
    ``sample_weight``.
    """

    def __init__(self, name):
        self.name = name
        self.__name__ = f"parity_score_{name}"

    def __call__(self, y_true, y_pred, *, sensitive_features=None, **kwargs):
        value = FAIRNESS_METRICS[self.name](
            y_true, y_pred, sensitive_features=sensitive_features, **kwargs
        )
        return -_parity_distance(self.name, value)

    @property
    def __signature__(self):
        # Metadata routing and make_scorer inspect the signature; expose the
        # metric's own parameters (sample_weight, agg, ...).
        return inspect.signature(FAIRNESS_METRICS[self.name])


def _check_metric_kwargs(func, kwargs):
    """Fail at construction, not mid-search, on keywords the metric lacks."""
    reserved = {"sensitive_features", "y_true", "y_pred"} & set(kwargs)
    if reserved:
        raise ValueError(
            f"make_fairness_scorer got {sorted(reserved)} as keyword(s); the "
            "scorer supplies these itself (give the groups with sensitive_cols= "
            "or through metadata routing)."
        )
    try:
        parameters = inspect.signature(func).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    unknown = sorted(set(kwargs) - set(parameters))
    if unknown:
        raise ValueError(
            f"{getattr(func, '__name__', func)!r} has no parameter(s) {unknown}."
        )


def _check_groups_can_be_routed(metric):
    """Refuse, at construction, a scorer that could never get the groups.

    Without ``sensitive_cols`` the groups can only reach the scorer as routed
    metadata. With routing off, every call would fail, and a search turns a
    failing scorer into ``error_score`` (NaN) with a warning per split: the
    search would "succeed" with no fairness score at all. Failing here puts
    the error where the user wrote the scorer.
    """
    if _routing_enabled():
        return
    name = metric if isinstance(metric, str) else getattr(metric, "__name__", metric)
    raise ValueError(
        f"make_fairness_scorer({name!r}) needs the groups of the rows it scores, "
        "and got no way to find them. Either (1) pass sensitive_cols= with the "
        "column name(s) or position(s) of X holding the groups, e.g. "
        f"make_fairness_scorer({name!r}, sensitive_cols='sex'), which works in "
        "GridSearchCV and cross_validate as it is; or (2) enable metadata "
        "routing (sklearn.set_config(enable_metadata_routing=True)) before "
        "making the scorer, call scorer.set_score_request("
        "sensitive_features=True) and pass sensitive_features= to the search's "
        "fit (or params= of cross_validate)."
    )


class _SensitiveColumnsScorer(_Scorer):
    """A scorer that reads the groups from columns of the ``X`` it scores.

    It predicts on the whole ``X`` (the estimator was fitted on it, sensitive
    columns included, and drops or encodes them itself), and hands the metric
    the raw values of the sensitive columns as ``sensitive_features``.
    """

    def __init__(self, score_func, sign, kwargs, sensitive_cols):
        super().__init__(score_func, sign, kwargs, response_method="predict")
        self._sensitive_cols = sensitive_cols

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        if "sensitive_features" in kwargs:
            raise ValueError(
                "This scorer reads the groups from X (sensitive_cols="
                f"{self._sensitive_cols!r}) and also got sensitive_features; "
                "give the groups one way only."
            )
        _, sensitive_features, _ = split_sensitive_columns(X, self._sensitive_cols)
        return super()._score(
            method_caller,
            estimator,
            X,
            y_true,
            sensitive_features=sensitive_features,
            **kwargs,
        )

    def set_score_request(self, **kwargs):
        if "sensitive_features" in kwargs:
            raise ValueError(
                "This scorer reads the groups from X (sensitive_cols="
                f"{self._sensitive_cols!r}); it does not request "
                "sensitive_features. Build it without sensitive_cols to route them."
            )
        return super().set_score_request(**kwargs)

    def _get_metadata_request(self):
        # Like the base class, but sensitive_features is not requestable:
        # it comes from X. sample_weight is, when the metric takes it.
        if hasattr(self, "_metadata_request"):
            return get_routing_for_object(self._metadata_request)
        requests = MetadataRequest(owner=self)
        if self._accept_sample_weight():
            requests.score.add_request(param="sample_weight", alias=None)
        return requests

    def __repr__(self):
        text = super().__repr__()
        return f"{text[:-1]}, sensitive_cols={self._sensitive_cols!r})"


def make_fairness_scorer(metric, *, sensitive_cols=None, greater_is_better=None, **kw):
    """Make a scikit-learn scorer from a fairness metric.

    A named metric scores higher the closer it is to parity, whichever group
    it favours: the score is **minus the distance from parity**,

    - ``-|d|`` for the differences and the signed
      ``average_odds_difference`` (parity at 0, either side);
    - ``-(1 - min(r, 1 / r))`` for the ratios (parity at 1), which is
      ``r - 1`` for the ratios bounded by 1 and treats a
      ``disparate_impact_ratio`` of 2 like one of 0.5.

    So the best score is 0, and ``GridSearchCV`` picks the fairest model for
    every metric name. A callable metric is taken as it is, signed by
    ``greater_is_better``.

    Parameters
    ----------
    metric : str or callable
        A metric name -- ``"demographic_parity_difference"``,
        ``"demographic_parity_ratio"``, ``"equalized_odds_difference"``,
        ``"equalized_odds_ratio"``, ``"equal_opportunity_difference"``,
        ``"equal_opportunity_ratio"``, ``"average_odds_difference"``,
        ``"disparate_impact_ratio"`` -- or a callable
        ``f(y_true, y_pred, *, sensitive_features, sample_weight=None)``.
    sensitive_cols : str, int or list, default=None
        Column name(s) or position(s) of ``X`` holding the groups. The scorer
        then reads the groups from the ``X`` it is given at scoring time, so
        it works in ``GridSearchCV`` / ``cross_validate`` with nothing else
        set up. The estimator still predicts on the whole ``X``.
        If None, the scorer takes ``sensitive_features`` as metadata: enable
        metadata routing *before* making the scorer, call
        ``scorer.set_score_request(sensitive_features=True)`` and pass
        ``sensitive_features`` to the search's ``fit`` (or ``params=`` of
        ``cross_validate``). With routing off, ``sensitive_cols=None`` is a
        ``ValueError`` here (see Raises).
    greater_is_better : bool, default=None
        Only for a callable ``metric``: as in
        :func:`sklearn.metrics.make_scorer`, False (the default for
        callables) negates the metric so that larger scores are better, True
        keeps it. A named metric already scores minus its distance from
        parity, so giving ``greater_is_better`` with a name is a
        ``ValueError`` (pass the metric function itself to sign it yourself).
    **kw
        Further keywords for the metric, such as ``agg="mean"``,
        ``method="to_overall"``, ``privileged_group=...``, ``pos_label=...``
        or ``zero_division=np.nan`` (leave out the groups whose rate is
        undefined instead of counting it as 0 with a warning at every
        scoring; the score is then NaN when fewer than two groups remain).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``; picklable, so it works with ``n_jobs``.

    Raises
    ------
    ValueError
        For an unknown metric name, keywords the metric does not take, or
        ``greater_is_better`` with a metric name; and for
        ``sensitive_cols=None`` while metadata routing is disabled. Such a
        scorer could never get the groups, and a search does not stop on a
        scorer's error: ``GridSearchCV`` and ``cross_validate`` record
        ``error_score`` (NaN) for every split with a "Scoring failed"
        warning, and the search completes without a fairness score. Raising
        here names both ways of giving the groups where the scorer is made.
        (With routing enabled, a search whose ``fit`` gets no
        ``sensitive_features`` still scores NaN that way; pass
        ``error_score="raise"`` to the search to stop at the first failure.)

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.pipeline import make_pipeline
    >>> from skfair.metrics import make_fairness_scorer
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 0.5, 2.5],
    ...                   "sex": ["f", "m", "f", "m", "m", "f"]})
    >>> y = [0, 0, 1, 1, 0, 1]
    >>> model = make_pipeline(
    ...     make_column_transformer(("drop", ["sex"]), remainder="passthrough"),
    ...     LogisticRegression()).fit(X, y)
    >>> scorer = make_fairness_scorer("demographic_parity_difference",
    ...                               sensitive_cols="sex")
    >>> round(scorer(model, X, y), 4)
    -0.3333

    Without ``sensitive_cols`` and with metadata routing off, the scorer
    could never find the groups, so making it fails:

    >>> make_fairness_scorer("equalized_odds_difference")
    Traceback (most recent call last):
    ...
    ValueError: make_fairness_scorer('equalized_odds_difference') needs the groups ...
    """
    func = _resolve_metric(metric)
    _check_metric_kwargs(func, kw)
    if greater_is_better is not None and not isinstance(greater_is_better, bool):
        raise ValueError(
            f"greater_is_better must be True or False; got {greater_is_better!r}."
        )
    if isinstance(metric, str):
        if greater_is_better is not None:
            raise ValueError(
                f"greater_is_better={greater_is_better!r} was given with the "
                f"metric name {metric!r}, whose score is already minus its "
                "distance from parity (higher is fairer). Drop greater_is_better, "
                f"or pass the function skfair.metrics.{metric} to sign the raw "
                "value yourself."
            )
        func, greater_is_better = _ParityScore(metric), True
    elif greater_is_better is None:
        greater_is_better = False
    if sensitive_cols is None:
        _check_groups_can_be_routed(metric)
        return make_scorer(func, greater_is_better=greater_is_better, **kw)
    sign = 1 if greater_is_better else -1
    return _SensitiveColumnsScorer(func, sign, kw, sensitive_cols)
