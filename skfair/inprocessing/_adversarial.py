"""Adversarial debiasing (Zhang, Lemoine & Mitchell, 2018) in numpy."""

from numbers import Integral, Real

import numpy as np
from scipy.special import expit, log_expit, logsumexp, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..preprocessing._reweighing import _check_2d
from ..utils._binary import prepare_binary_fit
from ..utils._row_hash import _mix, _row_sums
from ..utils._sensitive import split_sensitive_columns
from ..utils._sklearn_compat import Interval, StrOptions, _fit_context
from ..utils._validation import keep_state_on_error
from ._training import constraint_cells

__all__ = ["AdversarialDebiasing"]

# Columns of the adversary's input: the predictor's squashed output s; for
# equalized odds s * y, s * (1 - y) (the paper's construction, a separate
# slope per label) and y itself, so that the adversary's best guess without
# s, P(group | y), is within its reach: then s can only help it if the
# predictions depend on the group given the label.
_N_ADVERSARY_INPUTS = {"demographic_parity": 1, "equalized_odds": 3}


# --------------------------------------------------------------------------
# The two networks: forward passes, losses and their exact gradients
# --------------------------------------------------------------------------


def _glorot(rng, n_in, n_out):
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out))


def _init_predictor(n_features, hidden_layer_sizes, rng):
    """[W_1, b_1, ..., W_out, b_out]: ReLU hidden layers, one output logit."""
    sizes = [n_features, *hidden_layer_sizes, 1]
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        params += [_glorot(rng, n_in, n_out), np.zeros(n_out)]
    return params


def _init_adversary(n_inputs, n_groups):
    """[c, U, u]: the paper's scale c (starting at 1) and a softmax layer.

    The softmax regression starts at zero (its loss is convex in U and u):
    the groups' order then does not matter, relabelling the groups permutes
    its columns and changes nothing else.
    """
    return [np.ones(1), np.zeros((n_inputs, n_groups)), np.zeros(n_groups)]


def _predictor_forward(params, X):
    """The predictor's logit z of each row, and the layer inputs for backprop."""
    inputs = [X]
    H = X
    n_layers = len(params) // 2
    for layer in range(n_layers):
        H = H @ params[2 * layer] + params[2 * layer + 1]
        if layer < n_layers - 1:
            H = np.maximum(H, 0.0)
            inputs.append(H)
    return H[:, 0], inputs


def _predictor_backward(params, inputs, dz):
    """Gradients of the predictor's parameters from ``dL/dz``."""
    grads = [None] * len(params)
    delta = dz[:, None]
    for layer in range(len(params) // 2 - 1, -1, -1):
        grads[2 * layer] = inputs[layer].T @ delta
        grads[2 * layer + 1] = delta.sum(axis=0)
        if layer > 0:
            # Back through the ReLU of the previous layer's output.
            delta = (delta @ params[2 * layer].T) * (inputs[layer] > 0)
    return grads


def _predictor_loss(z, y01, weight):
    """Weighted mean log-loss of the logits, and its gradient in z."""
    total = weight.sum()
    loss = -np.sum(weight * (y01 * log_expit(z) + (1 - y01) * log_expit(-z))) / total
    return loss, weight * (expit(z) - y01) / total


def _adversary_inputs(z, y01, c, constraints):
    """The adversary's input columns and ``s = sigmoid((1 + |c|) z)``."""
    s = expit((1.0 + abs(c)) * z)
    if constraints == "demographic_parity":
        return s[:, None], s
    return np.column_stack([s * y01, s * (1 - y01), y01]), s


def _adversary_loss(adversary, z, y01, group_codes, weight, constraints):
    """The adversary's weighted cross-entropy, its gradients, and ``dL_A/dz``.

    Returns
    -------
    loss : float
    grads : list of ndarray
        Gradients of ``[c, U, u]``.
    dz : ndarray of shape (n_samples,)
        Gradient of the loss in the predictor's logits.
    """
    c, U, u = adversary
    inputs, s = _adversary_inputs(z, y01, c[0], constraints)
    logits = inputs @ U + u
    total = weight.sum()
    rows = np.arange(z.size)
    log_norm = logsumexp(logits, axis=1)
    loss = np.sum(weight * (log_norm - logits[rows, group_codes])) / total
    d_logits = softmax(logits, axis=1)
    d_logits[rows, group_codes] -= 1.0
    d_logits *= (weight / total)[:, None]
    d_inputs = d_logits @ U.T
    # d inputs / d s: 1, and y and 1 - y for the label-weighted columns.
    if constraints == "demographic_parity":
        d_s = d_inputs[:, 0]
    else:  # the label column does not depend on s
        d_s = d_inputs[:, 0] * y01 + d_inputs[:, 1] * (1 - y01)
    d_pre = d_s * s * (1.0 - s)  # through the sigmoid, at (1 + |c|) z
    grads = [
        np.array([np.sum(d_pre * z) * np.sign(c[0])]),
        inputs.T @ d_logits,
        d_logits.sum(axis=0),
    ]
    return loss, grads, d_pre * (1.0 + abs(c[0]))


def _debiased_direction(grad_predictor, grad_adversary, adversary_loss_weight):
    """The paper's update: ``g_P - proj_{g_A} g_P - alpha g_A`` (all parameters).

    Removing the component of the predictor's gradient along the adversary's
    keeps the predictor from moving in a direction that helps the adversary;
    the last term moves it against the adversary.
    """
    g_p = np.concatenate([g.ravel() for g in grad_predictor])
    g_a = np.concatenate([g.ravel() for g in grad_adversary])
    norm2 = g_a @ g_a
    direction = g_p - adversary_loss_weight * g_a
    if norm2 > 0:
        direction -= (g_p @ g_a) / norm2 * g_a
    out, start = [], 0
    for g in grad_predictor:
        out.append(direction[start : start + g.size].reshape(g.shape))
        start += g.size
    return out


class _Adam:
    """Adam (Kingma & Ba, 2015) on a list of arrays, updated in place."""

    def __init__(self, params, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
        self.learning_rate, self.beta1, self.beta2, self.eps = (
            learning_rate,
            beta1,
            beta2,
            eps,
        )
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, params, grads):
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        scale = self.learning_rate * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= scale * m / (np.sqrt(v) + self.eps)


# --------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------


class AdversarialDebiasing(ClassifierMixin, BaseEstimator):
    """A classifier trained against an adversary that predicts the group.

    Zhang, Lemoine & Mitchell (2018), in numpy. The predictor, a logistic
    regression or a small ReLU network, outputs a logit ``z``. The adversary,
    a softmax regression, predicts each row's group from
    ``s = sigmoid((1 + |c|) z)`` (demographic parity), or from ``s * y``,
    ``s * (1 - y)`` and ``y`` (equalized odds: the group given the
    label). Both are trained together by minibatch Adam: the adversary to
    predict the group, the predictor along the paper's direction
    ``g_P - proj_{g_A} g_P - adversary_loss_weight * g_A``, where ``g_P`` is
    the gradient of its log-loss and ``g_A`` that of the adversary's loss.
    At the equilibrium the adversary learns nothing from the predictions, so
    they carry no information about the group (given the label, for
    equalized odds).

    Parameters
    ----------
    constraints : {"demographic_parity", "equalized_odds"}, \
            default="demographic_parity"
        What the adversary sees besides the prediction: nothing, or the label
        (see Notes).
    adversary_loss_weight : float, default=0.1
        ``alpha``, the weight of the term that moves the predictor against
        the adversary. Larger values trade accuracy for fairness.
    hidden_layer_sizes : tuple of int, default=()
        Sizes of the predictor's ReLU hidden layers; ``()`` is a logistic
        regression.
    max_iter : int, default=40
        Number of epochs (passes over the training data).
    batch_size : int or "auto", default="auto"
        Rows per minibatch (the whole data if larger). ``"auto"``: about 20
        minibatches per epoch, ``n_samples // 20`` rows, but at least 16 and at
        most 256 (256 on Adult), so that small data sets get enough steps.
    learning_rate : float, default=0.01
        Adam's initial step size, for both networks; it decays linearly to 0
        over the epochs.
    sensitive_cols : str, int, list of those, callable or None, default=None
        Column name(s) or position(s) of ``X`` holding the groups: the
        adversary's target. They are not features of the predictor and are
        removed from ``X`` in fit and in every prediction method. If None,
        pass ``sensitive_features=`` to :meth:`fit` (predictions need no
        groups). Or a callable X -> groups.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights and the order of the minibatches: an int
        makes fits reproducible. The order is a hash of each row and the
        seed, so the same rows in another order give the same fit.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The class labels; ``classes_[1]`` is the positive class.
    groups_ : ndarray of shape (n_groups,)
        The group labels seen in fit.
    coefs_ : list of ndarray
        The predictor's weight matrices, layer by layer (the last has one
        column: the logit).
    intercepts_ : list of ndarray
        The predictor's bias vectors.
    adversary_coef_ : ndarray of shape (n_inputs, n_groups)
        The adversary's softmax weights (1 input for demographic parity, 3 for
        equalized odds).
    adversary_intercept_ : ndarray of shape (n_groups,)
        Its biases.
    adversary_scale_ : float
        The paper's ``c``.
    loss_curve_ : ndarray of shape (max_iter,)
        The predictor's mean log-loss over each epoch's minibatches.
    adversary_loss_curve_ : ndarray of shape (max_iter,)
        The adversary's mean cross-entropy over each epoch's minibatches.
    n_iter_ : int
        Number of epochs run.
    n_features_in_ : int
        Number of columns of ``X`` seen in fit (sensitive columns included).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X`` seen in fit, if they are all strings.

    See Also
    --------
    ConstrainedLogisticRegression : Logistic regression with the groups'
        rates constrained, solved as convex programs.

    Notes
    -----
    The gradients are exact (hand-derived backpropagation, checked against
    finite differences in the tests); numpy and scipy are the only
    dependencies. The projection is taken over all the predictor's
    parameters at once, as in the paper. ``adversary_loss_weight`` stays
    constant and the learning rate decays linearly over a fixed number of
    epochs (the paper's convergence argument lets the weight grow and the
    rate decay as ``1/t``). A larger weight is not always fairer: on Adult,
    equalized odds overshoots for weights above about 0.1. Scale the features (e.g. with
    ``StandardScaler``): the predictor starts from small random weights and
    takes steps of about ``learning_rate`` in every weight.

    For equalized odds the paper gives the adversary ``s``, ``s * y`` and
    ``s * (1 - y)``; here it gets ``s * y``, ``s * (1 - y)`` and ``y``. The
    label as an input lets the adversary reach ``P(group | y)`` without
    using the prediction, so the predictor is pushed only against what its
    prediction adds about the group given the label, which is what
    equalized odds asks. (Without it, on Adult, where the groups' base rates
    differ, the adversary drives the predictions towards demographic parity
    instead: equalized-odds gap 0.31.)

    The fit is stochastic (minibatches), so the groups' rates are not bounded
    by a tolerance: measure them on held-out data.

    References
    ----------
    B. H. Zhang, B. Lemoine and M. Mitchell, "Mitigating Unwanted Biases with
    Adversarial Learning", AAAI/ACM Conference on AI, Ethics, and Society,
    2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skfair.inprocessing import AdversarialDebiasing
    >>> from skfair.metrics import demographic_parity_difference
    >>> rng = np.random.default_rng(0)
    >>> group = rng.integers(0, 2, 2000)
    >>> X = rng.normal(size=(2000, 3)) + np.outer(group, [1.0, 0.0, 0.0])
    >>> y = (X[:, 0] + X[:, 1] + rng.normal(size=2000) > 0.5).astype(int)
    >>> def gap(alpha):
    ...     clf = AdversarialDebiasing(adversary_loss_weight=alpha, random_state=0)
    ...     y_pred = clf.fit(X, y, sensitive_features=group).predict(X)
    ...     return demographic_parity_difference(y, y_pred, sensitive_features=group)
    >>> bool(gap(0.0) > 0.25), bool(gap(1.0) < 0.2)
    (True, True)
    """

    _parameter_constraints: dict = {
        "constraints": [StrOptions(set(_N_ADVERSARY_INPUTS))],
        "adversary_loss_weight": [Interval(Real, 0, None, closed="left")],
        "hidden_layer_sizes": ["array-like"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "sensitive_cols": [None, str, Integral, "array-like", callable],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        constraints="demographic_parity",
        adversary_loss_weight=0.1,
        hidden_layer_sizes=(),
        max_iter=40,
        batch_size="auto",
        learning_rate=0.01,
        sensitive_cols=None,
        random_state=None,
    ):
        self.constraints = constraints
        self.adversary_loss_weight = adversary_loss_weight
        self.hidden_layer_sizes = hidden_layer_sizes
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.sensitive_cols = sensitive_cols
        self.random_state = random_state

    def _hidden_sizes(self):
        sizes = list(self.hidden_layer_sizes)
        for size in sizes:
            if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
                raise ValueError(
                    "hidden_layer_sizes must hold positive integers; got "
                    f"{self.hidden_layer_sizes!r}."
                )
        return sizes

    @keep_state_on_error
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, sensitive_features=None, sample_weight=None):
        """Train the predictor against the adversary.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data, numeric (plus the ``sensitive_cols`` columns).
        y : array-like of shape (n_samples,)
            Binary target.
        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, k), default=None
            Group labels, when ``sensitive_cols`` is not set.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in both losses.

        Returns
        -------
        self : AdversarialDebiasing
            The fitted classifier.
        """
        hidden = self._hidden_sizes()
        _check_2d(X)
        if y is not None:
            y = column_or_1d(y, warn=True)
        X_model, y01, weights, groups = prepare_binary_fit(
            self, X, y, sensitive_features, sample_weight
        )
        X_model = self._check_features(X_model)
        weight = np.ones(y01.size) if weights is None else weights
        # Equalized odds compares the groups among positives and negatives:
        # every group needs both (a ValueError naming the group otherwise).
        constraint_cells(y01, weight, groups, self.constraints, self.classes_)
        rng = check_random_state(self.random_state)
        predictor = _init_predictor(X_model.shape[1], hidden, rng)
        adversary = _init_adversary(
            _N_ADVERSARY_INPUTS[self.constraints], groups.n_groups
        )
        with np.errstate(over="ignore", invalid="ignore"):
            # A diverging fit is reported by _train itself.
            self._train(
                X_model,
                y01.astype(float),
                groups.codes,
                weight,
                predictor,
                adversary,
                rng,
            )
        self.coefs_, self.intercepts_ = predictor[0::2], predictor[1::2]
        self.adversary_scale_ = float(adversary[0][0])
        self.adversary_coef_, self.adversary_intercept_ = adversary[1], adversary[2]
        return self

    def _train(self, X, y01, group_codes, weight, predictor, adversary, rng):
        alpha = float(self.adversary_loss_weight)
        adam_p = _Adam(predictor, self.learning_rate)
        adam_a = _Adam(adversary, self.learning_rate)
        n = X.shape[0]
        if self.batch_size == "auto":
            batch = min(max(n // 20, 16), 256, n)
        else:
            batch = min(int(self.batch_size), n)
        losses, adversary_losses = [], []
        # The minibatches are drawn by sorting a hash of each row (its
        # features, label and weight; not its group code, which depends on
        # the labels of the other groups) mixed with the epoch's seed, not by
        # a permutation of positions: the fit then depends on the set of
        # rows, not on their order.
        row_keys = _row_sums(np.column_stack([X, y01, weight]))
        epoch_seeds = rng.randint(np.iinfo(np.int32).max, size=self.max_iter)
        for epoch in range(self.max_iter):
            # Linear decay to 0: the last epochs settle the minibatch noise
            # (on Adult, test gaps then vary by about 0.001 across seeds
            # where a constant rate gave 0.03).
            rate = self.learning_rate * (1.0 - epoch / self.max_iter)
            adam_p.learning_rate = adam_a.learning_rate = rate
            seed = _mix(np.array([epoch_seeds[epoch]], dtype=np.uint64))
            order = np.argsort(_mix(row_keys ^ seed), kind="stable")
            epoch_loss = epoch_adversary = 0.0
            n_batches = 0
            for start in range(0, n, batch):
                rows = order[start : start + batch]
                w = weight[rows]
                if not w.sum() > 0:
                    continue
                z, inputs = _predictor_forward(predictor, X[rows])
                loss_p, dz_p = _predictor_loss(z, y01[rows], w)
                loss_a, grad_a, dz_a = _adversary_loss(
                    adversary, z, y01[rows], group_codes[rows], w, self.constraints
                )
                direction = _debiased_direction(
                    _predictor_backward(predictor, inputs, dz_p),
                    _predictor_backward(predictor, inputs, dz_a),
                    alpha,
                )
                adam_p.step(predictor, direction)
                adam_a.step(adversary, grad_a)
                epoch_loss += loss_p
                epoch_adversary += loss_a
                n_batches += 1
            losses.append(epoch_loss / max(n_batches, 1))
            adversary_losses.append(epoch_adversary / max(n_batches, 1))
            if not np.isfinite(losses[-1]):
                raise ValueError(
                    "AdversarialDebiasing diverged (the loss is not finite); "
                    "lower learning_rate or scale the features."
                )
        self.loss_curve_ = np.asarray(losses)
        self.adversary_loss_curve_ = np.asarray(adversary_losses)
        self.n_iter_ = self.max_iter

    def _check_features(self, X_model):
        from sklearn.utils import check_array

        return check_array(X_model, dtype=np.float64, ensure_min_features=1)

    def _model_input(self, X):
        check_is_fitted(self)
        _check_2d(X)
        validate_data(self, X, skip_check_array=True, reset=False)
        if self.sensitive_cols is not None and not callable(self.sensitive_cols):
            X, _, _ = split_sensitive_columns(X, self.sensitive_cols)
        X = self._check_features(X)
        if X.shape[1] != self.coefs_[0].shape[0]:
            raise ValueError(
                f"X has {X.shape[1]} features for the predictor, but "
                f"AdversarialDebiasing was fitted with {self.coefs_[0].shape[0]}."
            )
        return X

    def decision_function(self, X):
        """The predictor's logit of each row.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the same columns as in fit.

        Returns
        -------
        z : ndarray of shape (n_samples,)
            Positive values favour ``classes_[1]``.
        """
        X = self._model_input(X)
        params = [
            p for pair in zip(self.coefs_, self.intercepts_, strict=True) for p in pair
        ]
        z, _ = _predictor_forward(params, X)
        return z

    def predict_proba(self, X):
        """Probabilities of the two classes.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the same columns as in fit.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Columns in ``classes_`` order.
        """
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        """Class labels: ``classes_[1]`` where the logit is positive.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the same columns as in fit.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(np.intp)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.non_deterministic = self.random_state is None
        return tags
