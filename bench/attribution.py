"""Sample-attribution benchmark on this machine's own binaries (x86-64 ELF files grouped by Debian package).

Prints the analysis time of a ~1 MB ELF (phase 1 of every model, target ≤ 1 s/MB), the phase-2 query time
per sample against the whole library (target ≤ 0.1 s with ≥ 100,000 reference functions), and top-1
accuracy per model (target ≥ 95%) against the named baseline "plain MinHash vote" (each matched function
votes for its best match's family, no weighting), by leave-one-out (the sample hidden from one index) and,
as an exact cross-check, by stratified 10-fold cross-validation with the index rebuilt per fold.

The consensus verdict (``core.attribution.consensus``) is measured with source packages as families, cross-
fitted: the families are split in two halves, the consensus is fitted on one half's leave-one-out and
leave-one-family-out answers and scored on the other half's, and the other way round. Printed: its top-1
(the verdict must name the right family; target ≥ 97% and ≥ the best single model), the share of samples
called unknown family when their whole family is hidden (target ≥ 90%), and the same top-1 again in a library
with 100,000 extra decoy functions (ELF files of other source packages, target ≥ 95%). Hiding a family hides
its functions, profile and digests, but its strings still count in the strings model's idf.

Families are Debian *source* packages (the software project: gcc-12 and g++-12, or bsdutils and
util-linux, are built from the same code) and, for comparison, binary packages. Packages with ≥ 2
distinct ELF files of ≤ --max-mb are used, at most --per-package files each, spread over the package.

Features are cached under /tmp (never in the repo), so only the first run disassembles the corpus.
``predict`` is the one seam to the system under test: swap it for engine calls to bench the service.

    python bench/attribution.py [--per-package 30] [--max-mb 10]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path[0] = str(Path(__file__).resolve().parents[1])  # repo root, not bench/ (bench/shap.py shadows shap)

from core.attribution import (
    DEFAULT_PARAMS,
    MODELS,
    FunctionFeatures,
    FunctionSimilarityModel,
    ModelResult,
    ReferenceFeatures,
    ReferenceIndex,
    StringFeatures,
    StringsModel,
    TlshModel,
    analyse_reference,
)
from core.attribution.consensus import Example, fit, leave_out_examples

CACHE = Path("/tmp/dataml-attribution-bench")
DECOY_FUNCTIONS = 100_000
DPKG_LISTS = Path("/var/lib/dpkg/info")
FUNCTION_MODEL, STRINGS_MODEL, TLSH_MODEL = FunctionSimilarityModel(), StringsModel(), TlshModel()
MODEL_NAMES = (FUNCTION_MODEL.name, STRINGS_MODEL.name, TLSH_MODEL.name)
Row = tuple[str, str, ReferenceFeatures]


def is_x86_64_elf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            header = handle.read(20)
    except OSError:
        return False
    return header[:4] == b"\x7fELF" and header[4] == 2 and header[18:20] == b"\x3e\x00"


def elf_files(max_bytes: int) -> dict[str, list[Path]]:
    """Regular x86-64 ELF files under /usr of at most ``max_bytes``, by owning package."""
    owner: dict[Path, str] = {}
    for listing in sorted(DPKG_LISTS.glob("*.list")):
        package = listing.stem.split(":")[0]
        for line in listing.read_text(errors="replace").splitlines():
            if line.startswith("/usr/"):
                owner.setdefault(Path(line), package)
    groups: dict[str, list[Path]] = defaultdict(list)
    for path, package in sorted(owner.items()):
        if path.is_file() and not path.is_symlink() and path.stat().st_size <= max_bytes and is_x86_64_elf(path):
            groups[package].append(path)
    return groups


def corpus(max_bytes: int, per_package: int) -> dict[str, list[Path]]:
    """Packages with ≥ 2 distinct ELF files, spread-sampled to at most ``per_package`` files each."""
    chosen = {}
    for package, paths in elf_files(max_bytes).items():
        if len(paths) >= 2:
            step = max(1, len(paths) / per_package)
            chosen[package] = [paths[int(i * step)] for i in range(min(per_package, len(paths)))]
    return chosen


def source_packages() -> dict[str, str]:
    """Binary package → Debian source package (the upstream project: gcc-12 and g++-12 are one family)."""
    listing = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}\t${source:Package}\n"], capture_output=True, text=True, check=True
    ).stdout
    return dict(line.split("\t", 1) for line in listing.splitlines() if "\t" in line)


def cached_features(path: Path) -> tuple[str, ReferenceFeatures]:
    data = path.read_bytes()
    sample_id = hashlib.sha256(data).hexdigest()
    versions = [m.version for m in MODELS]
    tag = hashlib.sha256(json.dumps([versions, DEFAULT_PARAMS.__dict__]).encode()).hexdigest()[:8]
    file = CACHE / f"features-{tag}" / f"{sample_id}.npz"
    if file.exists():
        return sample_id, ReferenceFeatures.from_bytes(file.read_bytes())
    features = analyse_reference(data)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(features.to_bytes())
    return sample_id, features


def load_library(groups: dict[str, list[Path]]) -> list[Row]:
    """(sample_id, family, features); a file whose bytes occur in two packages is dropped (ambiguous label)."""
    rows, families_of = [], defaultdict(set)
    started, done = time.perf_counter(), 0
    for package, paths in sorted(groups.items()):
        for path in paths:
            sample_id, features = cached_features(path)
            rows.append((sample_id, package, features))
            families_of[sample_id].add(package)
            done += 1
            if done % 100 == 0:
                print(f"  features of {done} files ({time.perf_counter() - started:.0f} s)", flush=True)
    unique = {s: (s, f, x) for s, f, x in rows if len(families_of[s]) == 1}
    return list(unique.values())


def one_megabyte_elf() -> Path:
    candidates = [p for p in Path("/usr/bin").iterdir() if p.is_file() and is_x86_64_elf(p)]
    return min(candidates, key=lambda p: abs(p.stat().st_size - 1_000_000))


def best_of_3(work: Callable[[], object]) -> tuple[float, float]:
    """(CPU, wall) seconds of the fastest of three runs. CPU time is the figure to compare: on a shared
    machine wall time measures the neighbours too."""
    cpu = wall = float("inf")
    for _ in range(3):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        work()
        cpu, wall = min(cpu, time.process_time() - started_cpu), min(wall, time.perf_counter() - started_wall)
    return cpu, wall


def bench_analysis() -> None:
    """Phase 1 of every model on the /usr/bin ELF closest to 1 MB, per MB."""
    path = one_megabyte_elf()
    data = path.read_bytes()
    cpu, wall = best_of_3(lambda: [model.phase_1(data) for model in MODELS])
    megabytes = len(data) / 1e6
    print(
        f"analysis: {path} ({megabytes:.2f} MB), phase 1 of {len(MODELS)} models: {cpu / megabytes:.3f} CPU s/MB "
        f"(wall {wall / megabytes:.3f} s/MB; target ≤ 1)"
    )


def bench_query(index: ReferenceIndex) -> None:
    """Phase 2 of every model for the ~1 MB ELF against the whole library."""
    data = one_megabyte_elf().read_bytes()
    for model in MODELS:
        features = model.phase_1(data)
        cpu, wall = best_of_3(lambda model=model, features=features: model.phase_2(features, index))
        print(f"  query {model.name:<20} for the 1 MB ELF: {cpu * 1000:6.1f} CPU ms (wall {wall * 1000:.1f} ms)")


def predict(
    index: ReferenceIndex, sample_id: str, features: ReferenceFeatures, hide_sample: bool = True
) -> dict[str, ModelResult]:
    """The system under test: phase 2 of every applicable model, timed, the sample hidden from the library."""
    exclude = sample_id if hide_sample else None
    inputs = {
        FUNCTION_MODEL: features.functions,
        STRINGS_MODEL: None if features.strings is None else StringFeatures(features.strings),
        TLSH_MODEL: features.tlsh,
    }
    results = {}
    for model, phase_1_output in inputs.items():
        if phase_1_output is not None:
            started = time.perf_counter()
            result = model.phase_2(phase_1_output, index, exclude_sample=exclude)
            results[model.name] = result.with_timing("phase_2", time.perf_counter() - started)
    return results


def baseline_family(index: ReferenceIndex, sample_id: str, features: ReferenceFeatures) -> str | None:
    """Plain MinHash vote: each function with a match (Jaccard ≥ 0.5) votes for its best match's family."""
    if features.functions is None:
        return None
    found = index.lsh.query(features.functions.signatures, 0.5, index.visible_entries(sample_id))
    best: dict[int, tuple[float, int]] = {}
    for query, entry, similarity in zip(
        found.query.tolist(), found.entry.tolist(), found.similarity.tolist(), strict=True
    ):
        best[query] = max(best.get(query, (0.0, 0)), (similarity, entry))
    votes = Counter(int(index.entries.family[entry]) for _, entry in best.values())
    return index.families[votes.most_common(1)[0][0]] if votes else None


def evaluable(library: list[Row]) -> list[Row]:
    """Samples whose family has at least one other member to be recognised by."""
    sizes = Counter(family for _, family, _ in library)
    return [row for row in library if sizes[row[1]] >= 2]


def print_accuracy(title: str, hits: Counter[str], total: int) -> None:
    print(f"{title} over {total} samples:")
    for name in ("baseline", *MODEL_NAMES):
        if name in hits:
            print(f"  top-1 {name:<20} {hits[name] / total:6.1%}")


def leave_one_out(index: ReferenceIndex, library: list[Row]) -> None:
    evaluated = evaluable(library)
    hits: Counter[str] = Counter()
    seconds: dict[str, list[float]] = defaultdict(list)
    for sample_id, family, features in evaluated:
        results = predict(index, sample_id, features)
        hits["baseline"] += baseline_family(index, sample_id, features) == family
        for name, result in results.items():
            hits[name] += result.top_family == family
            seconds[name].append(result.timings["phase_2"])
    print_accuracy(f"leave-one-out ({len({f for _, f, _ in evaluated})} families)", hits, len(evaluated))
    best = max(MODEL_NAMES, key=lambda name: hits[name])
    print(
        f"  best model {best}: {hits[best] / len(evaluated):.1%} = {hits[best] / max(hits['baseline'], 1):.2f} x "
        f"baseline (target ≥ 95%)"
    )
    for name in MODEL_NAMES:
        times = np.array(seconds[name]) * 1000
        print(
            f"  query {name:<20} wall median {np.median(times):6.1f} ms, p95 {np.percentile(times, 95):6.1f} ms, "
            f"max {times.max():6.1f} ms over {len(times)} samples (target ≤ 100 ms)"
        )


def cross_validate(library: list[Row], folds: int = 10) -> None:
    """Exact check of the leave-one-out shortcut: the held-out fold is really absent from the index
    (its strings do not even count in the idf). Folds are stratified by family."""
    rank: Counter[str] = Counter()
    fold_of = {}
    for sample_id, family, _ in library:
        fold_of[sample_id] = rank[family] % folds
        rank[family] += 1
    held_out = {s for s, _, _ in evaluable(library)}
    hits: Counter[str] = Counter()
    for fold in range(folds):
        index = ReferenceIndex.build([row for row in library if fold_of[row[0]] != fold])
        for sample_id, family, features in library:
            if fold_of[sample_id] == fold and sample_id in held_out:
                for name, result in predict(index, sample_id, features, hide_sample=False).items():
                    hits[name] += result.top_family == family
    print_accuracy(
        f"exact {folds}-fold cross-validation (harder: a tenth of each family is missing)", hits, len(held_out)
    )


def build(library: list[Row]) -> ReferenceIndex:
    started = time.perf_counter()
    index = ReferenceIndex.build(library)
    built = time.perf_counter() - started
    index.save(CACHE / "index")
    started = time.perf_counter()
    index = ReferenceIndex.load(CACHE / "index")
    print(
        f"index: {len(index.samples)} samples, {len(index.families)} families, {index.entries.total} "
        f"reference functions ({len(index.lsh)} distinct per family); built in {built:.1f} s, "
        f"loaded in {time.perf_counter() - started:.2f} s; revision {index.revision}"
    )
    return index


def decoys(families: set[str], source_of: dict[str, str], wanted: int) -> list[Row]:
    """Function-only references from ELF files of source packages outside ``families``, ``wanted`` functions
    in all (each file is its own decoy family, named after its source package)."""
    rows: list[Row] = []
    total = 0
    for package, paths in sorted(elf_files(30_000_000).items()):
        source = source_of.get(package, package)
        if source in families:
            continue
        for path in paths:
            sample_id, features = cached_features(path)
            if features.functions is None or not len(features.functions.names):
                continue
            rows.append((sample_id, f"decoy {source}", ReferenceFeatures(features.functions, None, None)))
            total += len(features.functions.names)
            if total >= wanted:
                return rows
    return rows


def _functions(rows: list[Row]) -> int:
    return sum(len(f.functions.names) for _, _, f in rows if isinstance(f.functions, FunctionFeatures))


def consensus_scores(index: ReferenceIndex, library: list[Row]) -> dict[str, float]:
    """Cross-fitted consensus figures (see the module docstring) and each single model's top-1."""
    examples = leave_out_examples(index, library, limit=len(library))
    half = {family: int(hashlib.sha256(family.encode()).hexdigest(), 16) % 2 for _, family, _ in library}
    known_right = known = unknown_called = unknown = ranked_right = 0
    single: Counter[str] = Counter()
    for fold in (0, 1):
        consensus = fit([e for e in examples if half[e.family] != fold])
        tested: list[Example] = [e for e in examples if half[e.family] == fold]
        for example in tested:
            verdict = consensus.verdict(example.rankings)
            if example.hidden == "sample":
                known += 1
                known_right += verdict.family == example.family
                ranked_right += verdict.best == example.family
                for name, ranked in example.rankings.items():
                    single[name] += bool(ranked) and ranked[0][0] == example.family  # type: ignore[index]
            else:
                unknown += 1
                unknown_called += verdict.family is None
    scores = {"top1": known_right / known, "ranked": ranked_right / known, "unknown": unknown_called / unknown}
    scores.update({name: hits / known for name, hits in single.items()})
    scores["samples"], scores["hidden_families"] = known, unknown
    return scores


def bench_consensus(index: ReferenceIndex, library: list[Row], source_of: dict[str, str]) -> None:
    started = time.perf_counter()
    plain = consensus_scores(index, library)
    best = max(MODEL_NAMES, key=lambda name: plain.get(name, 0.0))
    print(
        f"consensus, cross-fitted by family halves, over {plain['samples']:.0f} samples "
        f"({time.perf_counter() - started:.0f} s):"
    )
    print(f"  top-1 verdict       {plain['top1']:6.1%} (target ≥ 97% and ≥ best single {best} {plain[best]:.1%})")
    print(f"  top-1 ranked        {plain['ranked']:6.1%} (first family, ignoring the unknown-family threshold)")
    print(
        f"  unknown family when the whole family is hidden: {plain['unknown']:.1%} of "
        f"{plain['hidden_families']:.0f} samples (target ≥ 90%, with the top-1 verdict above ≥ 95%)"
    )
    families = {family for _, family, _ in library}
    extra = decoys(families, source_of, DECOY_FUNCTIONS)
    decoyed = ReferenceIndex.build(library + extra)
    print(
        f"  decoys: {_functions(extra):,} functions of {len(extra)} files of other source packages added "
        f"({decoyed.entries.total:,} reference functions in all)"
    )
    crowded = consensus_scores(decoyed, library)
    print(
        f"  top-1 verdict with decoys {crowded['top1']:6.1%} (target ≥ 95%), ranked {crowded['ranked']:.1%}, "
        f"unknown when hidden {crowded['unknown']:.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-package", type=int, default=30)
    parser.add_argument("--max-mb", type=float, default=10.0)
    args = parser.parse_args()
    bench_analysis()
    groups = corpus(int(args.max_mb * 1e6), args.per_package)
    print(f"corpus: {sum(map(len, groups.values()))} files in {len(groups)} packages (cache {CACHE})")
    library = load_library(groups)
    source_of = source_packages()
    for grouping in ("source package", "binary package"):
        print(f"\n== families = Debian {grouping}")
        labelled = [(s, source_of.get(p, p) if grouping == "source package" else p, x) for s, p, x in library]
        index = build(labelled)
        bench_query(index)
        leave_one_out(index, labelled)
        if grouping == "source package":
            bench_consensus(index, labelled, source_of)
        cross_validate(labelled)


if __name__ == "__main__":
    main()
