"""
=====================================================
The classic mitigators side by side on UCI Adult
=====================================================

Five mitigators that AIF360 and fairlearn users know, each as a scikit-learn
estimator: :class:`~skfair.preprocessing.CorrelationRemover` and
:class:`~skfair.preprocessing.FairResampler` change the training data,
:class:`~skfair.inprocessing.AdversarialDebiasing` trains against an
adversary, :class:`~skfair.postprocessing.RejectOptionClassifier` and
:class:`~skfair.postprocessing.CalibratedEqualizedOdds` change a trained
model's decisions. The group is ``sex``, which no model sees as a feature.
"""

# %%
# The data and the unmitigated model
# ----------------------------------
# Adult's numeric columns are scaled and its categorical ones one-hot
# encoded, once, on the training split; ``sex`` is kept aside.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfair.datasets import load_adult
from skfair.inprocessing import AdversarialDebiasing
from skfair.metrics import demographic_parity_difference, equalized_odds_difference
from skfair.postprocessing import CalibratedEqualizedOdds, RejectOptionClassifier
from skfair.preprocessing import CorrelationRemover, FairResampler

X_train, y_train = load_adult(split="train", return_X_y=True)
X_test, y_test = load_adult(split="test", return_X_y=True)
sex_train, sex_test = X_train.pop("sex"), X_test.pop("sex")

features = make_column_transformer(
    (StandardScaler(), make_column_selector(dtype_include="number")),
    (
        make_pipeline(
            SimpleImputer(strategy="constant", fill_value="missing"),
            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
        ),
        make_column_selector(dtype_exclude="number"),
    ),
).fit(X_train)
Z_train, Z_test = features.transform(X_train), features.transform(X_test)
model = LogisticRegression(max_iter=2000).fit(Z_train, y_train)

results = {}


def record(name, y_pred):
    results[name] = (
        np.mean(y_pred == y_test),
        demographic_parity_difference(y_test, y_pred, sensitive_features=sex_test),
        equalized_odds_difference(y_test, y_pred, sensitive_features=sex_test),
    )


record("LogisticRegression", model.predict(Z_test))

# %%
# Pre-processing
# --------------
# The correlation remover equalizes every feature's mean across the sexes;
# the resampler gives each (sex, label) cell its size under independence.
remover = CorrelationRemover().fit(Z_train, sensitive_features=sex_train)
clf = LogisticRegression(max_iter=2000).fit(
    remover.transform(Z_train, sensitive_features=sex_train), y_train
)
record(
    "CorrelationRemover",
    clf.predict(remover.transform(Z_test, sensitive_features=sex_test)),
)

sampler = FairResampler(random_state=0)
Z_res, y_res = sampler.fit_resample(Z_train, y_train, sensitive_features=sex_train)
print("cells before:", sampler.observed_counts_.tolist())
print("cells after: ", sampler.expected_counts_.tolist())
record(
    "FairResampler", LogisticRegression(max_iter=2000).fit(Z_res, y_res).predict(Z_test)
)

# %%
# In-processing
# -------------
for constraints in ("demographic_parity", "equalized_odds"):
    adversarial = AdversarialDebiasing(constraints=constraints, random_state=0)
    adversarial.fit(Z_train, y_train, sensitive_features=sex_train)
    record(f"Adversarial ({constraints})", adversarial.predict(Z_test))

# %%
# Post-processing of the fitted model
# -----------------------------------
# The reject option favours women in a critical region of scores found
# exactly on the training data; calibrated equalized odds equalizes the
# generalized false negative rate while keeping the scores calibrated.
reject = RejectOptionClassifier(model, prefit=True, tolerance=0.05)
reject.fit(Z_train, y_train, sensitive_features=sex_train)
print("critical region:", reject.critical_region_.round(3), reject.deprived_group_)
record("RejectOption", reject.predict(Z_test, sensitive_features=sex_test))

calibrated = CalibratedEqualizedOdds(model, prefit=True, random_state=0)
calibrated.fit(Z_train, y_train, sensitive_features=sex_train)
record("CalibratedEqOdds", calibrated.predict(Z_test, sensitive_features=sex_test))

for name, (accuracy, dp, eo) in results.items():
    print(f"{name:32s} accuracy {accuracy:.3f}  DP gap {dp:.3f}  EO gap {eo:.3f}")

# %%
# Accuracy against the two gaps
# -----------------------------
# Each mitigator trades some accuracy for a smaller gap, but not the same gap:
# the demographic-parity methods close the gap in selection rates and widen
# the one in error rates, which adversarial equalized odds narrows instead.
# Labels below their point where two points lie close together.
below = {"CorrelationRemover"}
for column, label in ((1, "demographic-parity"), (2, "equalized-odds")):
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for name, values in results.items():
        ax.scatter(values[column], values[0], s=50)
        ax.annotate(
            name,
            (values[column], values[0]),
            textcoords="offset points",
            xytext=(5, -13 if name in below else 4),
            fontsize=10,
        )
    ax.set_xlabel(f"test {label} gap", fontsize=11)
    ax.set_ylabel("test accuracy", fontsize=11)
    ax.set_xlim(right=ax.get_xlim()[1] + 0.06)  # room for the labels
    ax.tick_params(labelsize=10)
    ax.grid(alpha=0.3)
    ax.set_title(f"UCI Adult, group = sex: {label}", fontsize=12)
    fig.tight_layout()
plt.show()
