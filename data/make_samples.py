"""Write the demo datasets in data/samples/ from data sets that installed packages ship.

Run: python data/make_samples.py   (the CSVs are committed; rerun only to refresh them)
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from statsforecast.utils import AirPassengersDF

HERE = Path(__file__).resolve().parent / "samples"


def _bunch(loader, target_name: str, labels: bool) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    bunch = loader(as_frame=True)
    frame = bunch.frame.rename(columns={"target": target_name})
    if labels:
        frame[target_name] = [str(bunch.target_names[i]) for i in bunch.target]
    frame.columns = [str(c).replace(" (cm)", "_cm").replace(" ", "_") for c in frame.columns]
    return frame


def main() -> None:
    HERE.mkdir(exist_ok=True)
    samples = {
        "iris": (_bunch(load_iris, "species", True), "Iris flowers: predict the species (classification)."),
        "wine": (_bunch(load_wine, "cultivar", True), "Wine chemistry: predict the cultivar (classification)."),
        "breast_cancer": (
            _bunch(load_breast_cancer, "diagnosis", True),
            "Breast tumour measurements: malignant or benign (classification).",
        ),
        "diabetes": (_bunch(load_diabetes, "progression", False), "Diabetes progression after a year (regression)."),
    }
    air = AirPassengersDF.rename(columns={"ds": "month", "y": "passengers"}).drop(columns=["unique_id"])
    air["month"] = pd.to_datetime(air["month"]).dt.to_period("M").dt.to_timestamp().dt.strftime("%Y-%m-%d")
    samples["air_passengers"] = (air, "Monthly airline passengers 1949-1960 (forecasting).")
    manifest = []
    for name, (frame, description) in samples.items():
        frame.to_csv(HERE / f"{name}.csv", index=False)
        manifest.append({"name": name, "file": f"{name}.csv", "description": description})
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
