"""Regenerates the example's data: data/oj_sales_data.csv, weekly orange-juice sales.

python examples/many-models/make_data.py [stores] [weeks]

The columns follow Azure's orange-juice sales sample (``OjSalesSimulated``): WeekStarting,
Store, Brand, Quantity, Advert, Price, Revenue. Each (Store, Brand) group has its own demand
curve ``Quantity = base - slope * Price + lift * Advert + noise``, so one model per group fits
better than one model for all.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
BRANDS = ("dominicks", "minute.maid", "tropicana")  # "minute.maid" becomes "minute_maid" on disk
FIRST_WEEK = dt.date(1990, 6, 14)


def main(stores: int = 10, weeks: int = 40) -> str:
    rng = np.random.default_rng(2024)
    lines = ["WeekStarting,Store,Brand,Quantity,Advert,Price,Revenue"]
    for s in range(stores):
        store = 1000 + s
        for brand in BRANDS:
            base = rng.uniform(9000.0, 14000.0)
            slope = rng.uniform(800.0, 1600.0)
            lift = rng.uniform(500.0, 1500.0)
            for w in range(weeks):
                week = FIRST_WEEK + dt.timedelta(weeks=w)
                advert = int(rng.random() < 0.4)
                price = round(float(rng.uniform(1.8, 3.2)), 2)
                qty = int(max(1.0, base - slope * price + lift * advert + rng.normal(0, 150)))
                lines.append(
                    f"{week.isoformat()},{store},{brand},{qty},{advert},{price},"
                    f"{round(qty * price, 2)}"
                )
    path = os.path.join(HERE, "data", "oj_sales_data.csv")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(main(*args))
