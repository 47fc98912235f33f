"""Generates data/credit.csv: a small synthetic credit data set.

Run once (`python make_data.py`); the CSV it writes is kept in the project so training and the
service never depend on this script. The seed makes the file reproducible byte for byte.

The default risk grows with the debt-to-income ratio and with late payments, and falls with age
and with years in the current job, plus noise, so a linear model reaches a realistic AUC (about 0.84),
not a perfect one.
"""
import csv
import math
import os
import random

ROWS = 600
SEED = 20180315
COLUMNS = ["age", "income", "debt", "late_payments", "years_employed", "default"]


def make_row(rng):
    age = rng.randint(21, 70)
    # Income rises with age until the fifties; log-normal spread around that.
    base = 28000 + 900 * min(age - 21, 30)
    income = round(base * math.exp(rng.gauss(0, 0.35)), -2)
    debt = round(max(0.0, income * rng.uniform(0.0, 0.9) * math.exp(rng.gauss(0, 0.3))), -2)
    late_payments = min(12, int(rng.expovariate(0.9)))
    years_employed = max(0, min(age - 18, int(rng.expovariate(1 / 6))))
    score = (
        -2.5
        + 3.2 * (debt / income)
        + 0.55 * late_payments
        - 0.02 * (age - 40)
        - 0.08 * years_employed
        + rng.gauss(0, 0.5)
    )
    default = 1 if rng.random() < 1 / (1 + math.exp(-score)) else 0
    return [age, int(income), int(debt), late_payments, years_employed, default]


def main():
    rng = random.Random(SEED)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "credit.csv")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        for _ in range(ROWS):
            writer.writerow(make_row(rng))
    print(f"wrote {ROWS} rows to {path}")


if __name__ == "__main__":
    main()
