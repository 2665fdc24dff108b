"""Sample attribution: which known software family does a submitted file most resemble, and why.

Pure domain code (bytes in, dataclasses out); the service runs it as jobs and stores the results.

Models (each has ``name``, ``version``, ``phase_1(data) -> features``, ``phase_2(features, index,
exclude_sample=None) -> ModelResult``; ``phase_1`` raises ``NotApplicable(reason)`` for files it cannot read):
- ``FunctionSimilarityModel``: ELF x86-64 functions → normalized instruction n-grams → MinHash LSH lookup.
- ``StringsModel``: the file's printable strings (incl. ELF imports) against each family's string profile
  (tf-idf cosine, idf over families); any file with strings. The most accurate model on the bench.
- ``TlshModel``: whole-file TLSH fuzzy hash against every reference digest; any file ≥ 50 bytes.

Functions and types:
- ``extract_functions(data, max_functions=50_000) -> ExtractedFunctions``: function boundaries (symbols,
  else ``.eh_frame``) and normalized instruction tokens of an x86-64 ELF.
- ``analyse_reference(data) -> ReferenceFeatures``: phase-1 features of a reference file for every model;
  ``to_bytes()`` / ``ReferenceFeatures.from_bytes()`` store them safely (``.npz``, no pickle).
- ``ReferenceIndex.build(references, ctx=None) -> ReferenceIndex``: index ``(sample_id, family,
  ReferenceFeatures | bytes)`` triples, reporting progress and honouring cancellation; ``save(dir)`` /
  ``ReferenceIndex.load(dir)`` (arrays, Parquet, JSON; no pickle); ``revision``, ``samples``, ``families``.
- ``core.attribution.consensus``: ``calibrate(index, references) -> Consensus`` (logistic ranking and confidence
  fitted on leave-one-out and leave-one-family-out answers; ``to_dict`` is stored as ``index.consensus``, JSON
  beside the index), ``Consensus.verdict(rankings) -> Verdict`` (family or unknown family, confidence, which
  models agreed; models without a ranking do not vote).
- ``run_model(model, data, index, exclude_sample=None) -> ModelResult``: both phases, timed;
  not-applicable files give a ``not_applicable`` result instead of an exception.
- ``ModelResult.to_dict()``: JSON-able, keyed like the seed API (``model``, ``prediction_results``,
  ``explanation_results``, ``error_details``); the service adds ``sha256_hash``, ``predicted_at``, ``task_id``.
- ``MODELS``: the model instances, in display order.
"""

from core.attribution.elf_functions import ExtractedFunctions, Function, NotApplicable, extract_functions
from core.attribution.features import DEFAULT_PARAMS, FunctionFeatures, ReferenceFeatures, analyse_reference
from core.attribution.function_model import FunctionSimilarityModel
from core.attribution.library import ReferenceIndex
from core.attribution.models import AttributionModel, ModelResult, run_model
from core.attribution.strings_model import StringFeatures, StringsModel
from core.attribution.tlsh_model import TlshModel

MODELS: tuple[AttributionModel, ...] = (FunctionSimilarityModel(), StringsModel(), TlshModel())

__all__ = [
    "DEFAULT_PARAMS",
    "MODELS",
    "AttributionModel",
    "ExtractedFunctions",
    "Function",
    "FunctionFeatures",
    "FunctionSimilarityModel",
    "ModelResult",
    "NotApplicable",
    "ReferenceFeatures",
    "ReferenceIndex",
    "StringFeatures",
    "StringsModel",
    "TlshModel",
    "analyse_reference",
    "extract_functions",
    "run_model",
]
