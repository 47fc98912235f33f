"""The credit-risk service: `function: predict.predict` in roro.yml.

The model is loaded once, at import, before the function server accepts requests, from the first
of: /volumes/data/model.joblib (written by the scheduled `train` task), ./model.joblib (from
`python train.py`), or a fresh fit on data/credit.csv (a second or so), so a first deploy serves
real predictions without waiting for a training job.
"""
import os
import sys

import joblib
import pandas as pd
import sklearn

import train

APPROVE_BELOW = 0.25
DECLINE_FROM = 0.60


def _load(path):
    """The saved bundle, or None when it is absent, unreadable or from another scikit-learn."""
    if not os.path.isfile(path):
        return None
    try:
        bundle = joblib.load(path)
    except Exception as exc:  # a corrupt or foreign file must not keep the service down
        print(f"predict: ignoring {path}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None
    if not isinstance(bundle, dict) or bundle.get("sklearn_version") != sklearn.__version__:
        print(f"predict: ignoring {path}: made by another scikit-learn version", file=sys.stderr)
        return None
    return bundle


def _load_model():
    for path in (os.path.join(train.VOLUME, train.MODEL_FILE), os.path.join(train.HERE, train.MODEL_FILE)):
        bundle = _load(path)
        if bundle is not None:
            print(f"predict: loaded {path}", file=sys.stderr)
            return bundle["model"]
    bundle, metrics = train.train()
    print(f"predict: no saved model; trained on {train.DATA} (AUC {metrics['auc']:.3f})", file=sys.stderr)
    return bundle["model"]


MODEL = _load_model()


def _number(name, value, minimum=0):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if number != number or number < minimum:
        raise ValueError(f"{name} must be a number >= {minimum}, got {value!r}")
    return number


def predict(age, income, debt, late_payments, years_employed):
    """Scores a credit application.

    Arguments: age (years), income and debt (yearly, same currency), late_payments (count in the
    last two years), years_employed (in the current job). Numbers may also be sent as strings
    (form posts).

    Returns {"default_probability": 0.0-1.0, "decision": "approve" | "review" | "decline"}:
    approve below 0.25, decline from 0.60, review in between.
    """
    row = {
        "age": _number("age", age, 18),
        "income": _number("income", income),
        "debt": _number("debt", debt),
        "late_payments": _number("late_payments", late_payments),
        "years_employed": _number("years_employed", years_employed),
    }
    probability = float(MODEL.predict_proba(train.add_ratio(pd.DataFrame([row])))[0, 1])
    if probability < APPROVE_BELOW:
        decision = "approve"
    elif probability < DECLINE_FROM:
        decision = "review"
    else:
        decision = "decline"
    return {"default_probability": round(probability, 4), "decision": decision}
