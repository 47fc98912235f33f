"""Trains the credit-risk model on data/credit.csv and saves it as model.joblib.

    python train.py

Runs as the scheduled `train` task of roro.yml (every day at 10:00 AM) and by hand. The model is
written next to this file and, when the project volume /volumes/data is mounted and writable,
there too: the volume outlives deploys, so the service loads the newest trained model from it.
"""
import os
import sys
import tempfile

import joblib
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data", "credit.csv")
FEATURES = ["age", "income", "debt", "late_payments", "years_employed"]
TARGET = "default"
MODEL_FILE = "model.joblib"
VOLUME = "/volumes/data"


def add_ratio(frame):
    """Debt-to-income says more than debt and income apart; the service computes it the same way."""
    out = frame[FEATURES].astype(float).copy()
    out["debt_to_income"] = out["debt"] / out["income"].clip(lower=1.0)
    return out


def train(path=DATA, seed=0):
    """Fits the pipeline on 80% of the rows; returns (bundle, metrics) measured on the other 20%."""
    frame = pd.read_csv(path)
    missing = [c for c in FEATURES + [TARGET] if c not in frame.columns]
    if missing:
        raise ValueError(f"{path} lacks the columns {missing}: regenerate it with make_data.py")
    x, y = add_ratio(frame), frame[TARGET].astype(int)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(x_train, y_train)
    proba = model.predict_proba(x_test)[:, 1]
    metrics = {
        "rows": int(len(frame)),
        "accuracy": round(float(accuracy_score(y_test, proba >= 0.5)), 4),
        "auc": round(float(roc_auc_score(y_test, proba)), 4),
    }
    # The scikit-learn version travels with the model: a pickle is only safe to load under the same one.
    bundle = {"model": model, "sklearn_version": sklearn.__version__, "metrics": metrics}
    return bundle, metrics


def save(bundle, directory):
    """Writes atomically, so a service reading the file never sees half of it."""
    fd, tmp = tempfile.mkstemp(prefix=".model-", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        joblib.dump(bundle, tmp)
        os.chmod(tmp, 0o644)
        final = os.path.join(directory, MODEL_FILE)
        os.replace(tmp, final)
        return final
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    bundle, metrics = train()
    print(f"trained on {metrics['rows']} rows: test accuracy {metrics['accuracy']:.3f}, AUC {metrics['auc']:.3f}")
    print(f"saved {save(bundle, HERE)}")
    if os.path.isdir(VOLUME) and os.access(VOLUME, os.W_OK):
        print(f"saved {save(bundle, VOLUME)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
