"""
=====================================================
Multiclass ThresholdOptimizer under label shift
=====================================================

With more than two classes,
:class:`~skfair.postprocessing.ThresholdOptimizer` learns for each group a
randomized map from the model's predicted class to a decision: a 3 x 3 matrix
of probabilities per group, found by one linear program (see
:ref:`beyond_binary`).

The data here have three classes and three groups whose class mixes differ
(a group-dependent *label shift*): group 0 is mostly class 0, group 2 mostly
class 2. The features are noisier in group 2, so a model trained without the
group both predicts each class at very different rates in different groups
and makes more errors in group 2.
"""

# %%
# Data and a model that does not see the group
# --------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression

from skfair.metrics import (
    multiclass_demographic_parity_difference,
    multiclass_equalized_odds_difference,
)
from skfair.postprocessing import ThresholdOptimizer

rng = np.random.RandomState(0)
n = 30000
groups = rng.choice(3, size=n)
priors = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6]])
y = (rng.uniform(size=n)[:, None] > priors.cumsum(axis=1)[groups]).sum(axis=1)
noise = np.array([0.7, 1.0, 1.4])[groups][:, None]  # group 2 is harder
X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])[y] + noise * rng.normal(size=(n, 2))
train, test = np.arange(n) < 20000, np.arange(n) >= 20000

model = LogisticRegression().fit(X[train], y[train])

# %%
# Post-processing for two criteria
# --------------------------------
# ``prefit=True`` keeps the model; only the per-group maps are learned.
optimizers = {
    c: ThresholdOptimizer(model, constraints=c, prefit=True, random_state=0).fit(
        X[train], y[train], sensitive_features=groups[train]
    )
    for c in ("demographic_parity", "equalized_odds")
}
for c, opt in optimizers.items():
    print(f"{c}: P(decision | group 0, predicted class)")
    print(opt.decision_maps_[0].round(3))

# %%
# Each row of a map is where the rows of one predicted class go. Demographic
# parity has to move many of group 0's predictions away from class 0 (and
# group 2's away from class 2) until every group gets each decision equally
# often; equalized odds instead degrades the easier groups' maps a little,
# until every group makes the same kinds of errors at the same rates as the
# hardest one.
#
# Rates of each decision, per group, on the test rows
# ---------------------------------------------------
fig, axes = plt.subplots(1, 3, figsize=(7.5, 3.2), sharey=True)
outputs = {"model alone": np.eye(3)[model.predict(X[test])]}
outputs |= {
    c: opt.predict_proba(X[test], sensitive_features=groups[test])
    for c, opt in optimizers.items()
}
width = 0.27
for ax, (name, proba) in zip(axes, outputs.items(), strict=True):
    for g in range(3):
        rates = proba[groups[test] == g].mean(axis=0)
        ax.bar(np.arange(3) + (g - 1) * width, rates, width, label=f"group {g}")
    ax.set_title(name.replace("_", " "))
    ax.set_xticks(range(3), [f"class {c}" for c in range(3)])
axes[0].set_ylabel("rate of decision")
axes[0].set_ylim(0, 0.8)  # room for the legend above the bars
axes[0].legend(loc="upper left")
fig.tight_layout()

# %%
# Accuracy and gaps on the test rows
# ----------------------------------
# The constraints hold exactly (in expected rates) on the training rows and
# approximately on the test rows. The multiclass metrics score each class
# one-vs-rest and report the worst class; "conditional gap" is what the
# ``"equalized_odds"`` constraint bounds: the largest gap between groups in
# the expected rate of a decision among the rows of one true class.
for name in outputs:
    if name == "model alone":
        y_pred = model.predict(X[test])
    else:
        y_pred = optimizers[name].predict(X[test], sensitive_features=groups[test])
    kwargs = {"sensitive_features": groups[test]}
    dp = multiclass_demographic_parity_difference(y[test], y_pred, **kwargs)
    eo = multiclass_equalized_odds_difference(y[test], y_pred, **kwargs)
    accuracy = np.mean(y_pred == y[test])
    proba = outputs[name]
    conditional = max(
        np.ptp(
            [proba[(y[test] == c) & (groups[test] == g), d].mean() for g in range(3)]
        )
        for c in range(3)
        for d in range(3)
    )
    print(
        f"{name:>20}: accuracy {accuracy:.3f}, DP diff {dp:.3f}, "
        f"EO diff {eo:.3f}, conditional gap {conditional:.3f}"
    )

# %%
# Equalized odds brings the conditional gap down to the sampling noise of
# the test rows (the smallest group and class cells have about 300 rows). Its
# one-vs-rest "EO diff" does not fall with it: the one-vs-rest false positive
# rate of a class mixes the *other* classes in each group's own proportions,
# which differ under label shift, so it can differ between groups even when
# every conditional rate is equal.

# %%
# The price of parity
# -------------------
# ``tolerance`` relaxes the constraint: the expected training accuracy rises
# from demographic parity (tolerance 0) to the unconstrained optimum.
tolerances = np.linspace(0, 0.5, 11)
accuracies = [
    ThresholdOptimizer(
        model, constraints="demographic_parity", tolerance=t, prefit=True
    )
    .fit(X[train], y[train], sensitive_features=groups[train])
    .score(X[train], y[train], sensitive_features=groups[train])
    for t in tolerances
]
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(tolerances, accuracies, marker="o")
best_constant = np.bincount(y[train]).max() / train.sum()
ax.axhline(best_constant, color="grey", ls="--")
ax.annotate("best constant rule", (0.02, best_constant + 0.01))
ax.set_xlabel("tolerance (largest gap in a decision rate)")
ax.set_ylabel("expected training accuracy")
fig.tight_layout()
