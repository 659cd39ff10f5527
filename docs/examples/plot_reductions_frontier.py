"""
=================================================================
ExponentiatedGradient: an accuracy / equalized-odds frontier
=================================================================

:class:`~skfair.reductions.ExponentiatedGradient` (Agarwal et al., 2018) makes
any classifier that takes ``sample_weight`` fair, here a logistic regression.
Sweeping ``tolerance`` traces the trade-off between test accuracy and the
test equalized-odds gap; the unconstrained model is the point on the right.
(A gradient-boosted model works the same way, only slower: see the
benchmarks page for HistGradientBoostingClassifier on all of Adult.)
:class:`~skfair.reductions.GridSearch` gives a deterministic model for
demographic parity.

The models are trained on part of UCI Adult without the ``sex`` column,
which is the sensitive feature.
"""

# %%
# Data: sex is the group, not a feature
# -------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfair.datasets import load_adult
from skfair.metrics import demographic_parity_difference, equalized_odds_difference
from skfair.reductions import ExponentiatedGradient, GridSearch

X_train, y_train = load_adult(split="train", return_X_y=True)
X_test, y_test = load_adult(split="test", return_X_y=True)
# A part of the training rows keeps the example quick.
X_train, y_train = X_train.iloc[:6000], y_train.to_numpy()[:6000]
y_test = y_test.to_numpy()
sex_train, sex_test = X_train["sex"], X_test["sex"]

numeric = [
    "age",
    "fnlwgt",
    "education-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
]
categorical = [c for c in X_train.columns if c not in numeric + ["sex"]]
encoder = make_column_transformer(
    (OneHotEncoder(handle_unknown="ignore"), categorical),
    (StandardScaler(), numeric),
    sparse_threshold=0.0,
)
A_train = encoder.fit_transform(X_train)
A_test = encoder.transform(X_test)

# %%
# The frontier
# ------------
# ``predict`` draws each row's decision from the mixture, reproducibly per
# row for an int ``random_state``; ``score`` would give the expected accuracy.
models = {"LogisticRegression": LogisticRegression(max_iter=1000)}
tolerances = [0.02, 0.05, 0.1]
fig, ax = plt.subplots(figsize=(6, 4.5))
for (name, model), marker in zip(models.items(), "o", strict=True):
    plain = model.fit(A_train, y_train).predict(A_test)
    points = [
        (
            equalized_odds_difference(y_test, plain, sensitive_features=sex_test),
            np.mean(plain == y_test),
        )
    ]
    for tolerance in tolerances:
        eg = ExponentiatedGradient(
            model, constraints="equalized_odds", tolerance=tolerance, random_state=0
        ).fit(A_train, y_train, sensitive_features=sex_train)
        y_pred = eg.predict(A_test)
        points.append(
            (
                equalized_odds_difference(y_test, y_pred, sensitive_features=sex_test),
                np.mean(y_pred == y_test),
            )
        )
    gaps, accuracies = zip(*points, strict=True)
    ax.plot(gaps[1:], accuracies[1:], marker=marker, label=f"EG({name})")
    ax.scatter(gaps[:1], accuracies[:1], marker=marker, color="black")
    ax.annotate(f"{name}\nunconstrained", (gaps[0], accuracies[0]), fontsize=10)
ax.set_xlabel("test equalized-odds gap")
ax.set_ylabel("test accuracy")
ax.set_title("ExponentiatedGradient on Adult, tolerance 0.02 to 0.1")
ax.legend()
plt.tight_layout()

# %%
# GridSearch for demographic parity
# ---------------------------------
# One logistic regression per multiplier; the chosen one minimises half the
# training error plus half the training gap.
grid = GridSearch(
    LogisticRegression(max_iter=1000),
    constraints="demographic_parity",
    grid_size=11,
).fit(A_train, y_train, sensitive_features=sex_train)
plain = models["LogisticRegression"].fit(A_train, y_train).predict(A_test)
for label, y_pred in [
    ("LogisticRegression", plain),
    ("GridSearch", grid.predict(A_test)),
]:
    gap = demographic_parity_difference(y_test, y_pred, sensitive_features=sex_test)
    print(f"{label:>18}: accuracy {np.mean(y_pred == y_test):.3f}, DP gap {gap:.3f}")
