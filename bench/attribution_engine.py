"""Sample attribution through the engine (``eng.attribution``), the way the pages use it.

Where ``bench/attribution.py`` measures the domain models (leave-one-out over thousands of references, query
time against ≥ 100,000 functions), this bench measures the service around them on a workspace of its own:
adding references, the index-build job (first build analyses every file; a rebuild reuses the stored
features), loading the saved index, and submitted samples — held-out binaries, one per family — followed to
the end with the inline runner (top-1 accuracy per model against the named baseline "TLSH nearest family")
and with the process runner (one worker process per model and sample, as in production).

    python bench/attribution_engine.py [--families 60] [--per-package 6] [--max-mb 3] [--process-samples 6]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # repo root, not bench/ (bench/shap.py shadows shap)
os.environ.setdefault("DATAML_BCRYPT_ROUNDS", "4")

from bench.attribution import corpus, source_packages
from core import Actor, Engine
from core.services.attribution_tasks import load_index

MODELS = ("function_similarity", "strings_similarity", "tlsh_similarity")


def split(families: int, per_package: int, max_mb: float) -> tuple[dict[str, list[Path]], dict[str, Path]]:
    """Families (Debian source packages) with ≥ 3 files: all but one file to the library, one held out."""
    source_of = source_packages()
    by_content: dict[str, tuple[str, Path]] = {}
    for package, paths in corpus(int(max_mb * 1e6), per_package).items():
        for path in paths:  # the same bytes under two names (hard links) are one reference
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            by_content.setdefault(digest, (source_of.get(package, package), path))
    grouped: dict[str, list[Path]] = {}
    for family, path in by_content.values():
        grouped.setdefault(family, []).append(path)
    chosen = sorted((f, sorted(p)) for f, p in grouped.items() if len(p) >= 3)
    step = max(1, len(chosen) // families)
    chosen = chosen[::step][:families]
    return {f: p[1:] for f, p in chosen}, {f: p[0] for f, p in chosen}


def timed(label: str, work):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = work()
    print(f"{label}: {time.perf_counter() - started:.2f} s", flush=True)
    return result


def build_library(eng: Engine, admin: Actor, library: dict[str, list[Path]]) -> None:
    files = sum(len(p) for p in library.values())
    size = sum(p.stat().st_size for paths in library.values() for p in paths) / 1e6
    print(f"library: {files} files ({size:.0f} MB) in {len(library)} families")
    started = time.perf_counter()
    for family, paths in library.items():
        eng.attribution.add_references(admin, family=family, files=[(p.name, p.read_bytes()) for p in paths])
    print(
        f"add_references: {time.perf_counter() - started:.2f} s ({(time.perf_counter() - started) / files * 1000:.1f}"
        " ms per file)"
    )
    job = timed("rebuild_index, first build (analyses every file)", lambda: eng.attribution.rebuild_index(admin))
    assert job.status == "succeeded", job.error
    print(f"  index: {job.result}")
    job = timed("rebuild_index again (stored features reused)", lambda: eng.attribution.rebuild_index(admin))
    assert job.status == "succeeded", job.error
    from core.services import attribution_tasks

    attribution_tasks._cache.clear()
    timed("load the saved index (cold, once per process)", lambda: load_index(eng, admin.tenant_id))


def inline_samples(eng: Engine, admin: Actor, held_out: dict[str, Path]) -> None:
    hits: Counter[str] = Counter()
    latencies, phases = [], {m: [] for m in MODELS}
    for family, path in held_out.items():
        data = path.read_bytes()
        started = time.perf_counter()
        sample = eng.attribution.submit(admin, path.name, data)
        latencies.append(time.perf_counter() - started)
        for entry in eng.attribution.results(admin, sample.id):
            ranked = entry["prediction_results"]
            hits[entry["model"]] += bool(ranked) and ranked[0]["family"] == family
            timings = entry["explanation_results"].get("timings", {})
            phases[entry["model"]].append(sum(timings.values()))
    total = len(held_out)
    print(f"held-out samples through eng.attribution (inline runner), {total} families:")
    print(f"  submit → all models done: median {sorted(latencies)[total // 2]:.2f} s, max {max(latencies):.2f} s")
    baseline = hits["tlsh_similarity"]
    for model in MODELS:
        times = sorted(phases[model])
        print(
            f"  top-1 {model:<20} {hits[model] / total:6.1%} = {hits[model] / max(baseline, 1):.2f} x baseline "
            f"(TLSH nearest family); phases median {times[len(times) // 2] * 1000:.0f} ms"
        )


def process_samples(home: Path, admin: Actor, held_out: dict[str, Path], count: int) -> None:
    eng = Engine.open(home=home, runner="process")
    try:
        chosen = list(held_out.items())[:count]
        started = time.perf_counter()
        ids = [eng.attribution.submit(admin, f"process-{p.name}", p.read_bytes() + b"\0process").id for _, p in chosen]
        submitted = time.perf_counter() - started
        while not all(eng.attribution.get_sample(admin, i).finished for i in ids):
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        print(
            f"process runner ({eng.settings.max_jobs} job(s) at once): {len(ids)} samples x {len(MODELS)} model "
            f"jobs submitted in {submitted:.2f} s, all finished after {elapsed:.1f} s "
            f"({elapsed / (len(ids) * len(MODELS)):.2f} s per job incl. worker start and index load)"
        )
    finally:
        eng.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=60)
    parser.add_argument("--per-package", type=int, default=6)
    parser.add_argument("--max-mb", type=float, default=3.0)
    parser.add_argument("--process-samples", type=int, default=6)
    args = parser.parse_args()
    library, held_out = split(args.families, args.per_package, args.max_mb)
    with tempfile.TemporaryDirectory(prefix="dataml-attribution-engine-", ignore_cleanup_errors=True) as folder:
        home = Path(folder) / "workspace"
        eng = Engine.open(home=home, runner="inline")
        admin = eng.users.bootstrap_admin(
            username="bench", password=secrets.token_urlsafe(16), email="bench@example.com"
        )
        try:
            build_library(eng, admin, library)
            inline_samples(eng, admin, held_out)
        finally:
            eng.close()
        process_samples(home, admin, held_out, args.process_samples)


if __name__ == "__main__":
    main()
