"""Corpora as tables: one row per sound file with its speaker, gender and common emotion.

Every corpus encodes labels its own way (file names, folders, side files); the parsers
below turn each scheme into the same columns so notebooks can swap datasets by name.
`load` also checks the copy on disk against its manifest, because a silently incomplete
or doubly-extracted corpus changes every number downstream.
"""
from __future__ import annotations

import importlib
import re
import warnings
from pathlib import Path

import pandas as pd

from . import paths
from .errors import (
    CorpusNotFoundError,
    DatasetError,
    IncompleteCorpusWarning,
    InvalidParameterError,
    ManualDownloadRequired,
    UnknownLabelError,
    check_choice,
)
from .manifest import (
    COMMON_EMOTIONS,
    check_corpus_name,
    list_corpora,
    load_manifest,
    synthetic_variants,
)

__all__ = [
    "COMMON_EMOTIONS", "list_corpora", "load_manifest", "load", "load_emodb_subset",
    "scan_corpus", "find_corpus_root", "missing_corpus_error",
    "parse_emodb", "parse_ravdess", "parse_savee", "parse_cafe", "parse_cremad", "parse_tess",
    "parse_iemocap", "parse_iemocap_evaluation",
]

CORE_COLUMNS = ["path", "corpus", "speaker", "gender", "age", "emotion", "label"]
DOWNLOADS_DIRNAME = "downloads"  # archives kept by helpers.fetch; never scanned for audio
_MAX_LISTED = 5


# --------------------------------------------------------------------------------------
# Label parsers: a path (relative to the corpus root, or absolute) -> dict with at least
# "speaker" and usually "label" (the corpus's own emotion code). A name that does not
# follow the scheme raises ValueError; codes are checked against the manifest later.
# --------------------------------------------------------------------------------------

def _no_match(path, corpus: str, pattern: str):
    return ValueError(f"{Path(path).name}: not a {corpus} file name (expected {pattern})")


def _parity_gender(number: str) -> str:
    return "male" if int(number) % 2 == 1 else "female"


_EMODB = re.compile(r"^(\d{2})([a-z]\d{2})([A-Za-z])([a-z])\.wav$")


def parse_emodb(path) -> dict:
    """`03a01Wa.wav`: speaker 03, text a01, emotion letter W, take a."""
    m = _EMODB.match(Path(path).name)
    if not m:
        raise _no_match(path, "EmoDB", "SSTTTEV.wav, e.g. 03a01Wa.wav")
    speaker, text, label, take = m.groups()
    return {"speaker": speaker, "label": label, "text": text, "take": take}


_RAVDESS = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})\.wav$")
_RAVDESS_CHANNEL = {"01": "speech", "02": "song"}
_RAVDESS_INTENSITY = {"01": "normal", "02": "strong"}


def parse_ravdess(path) -> dict:
    """`03-01-05-01-02-01-12.wav`: modality, channel, emotion, intensity, statement,
    repetition, actor (odd = male)."""
    m = _RAVDESS.match(Path(path).name)
    if not m:
        raise _no_match(path, "RAVDESS", "MM-CC-EE-II-SS-RR-AA.wav")
    modality, channel, label, intensity, statement, repetition, actor = m.groups()
    if channel not in _RAVDESS_CHANNEL or intensity not in _RAVDESS_INTENSITY:
        raise _no_match(path, "RAVDESS", "channel 01/02 and intensity 01/02")
    return {
        "speaker": actor, "gender": _parity_gender(actor), "label": label,
        "text": statement, "take": repetition, "intensity": _RAVDESS_INTENSITY[intensity],
        "modality": modality, "channel": _RAVDESS_CHANNEL[channel],
    }


_SAVEE = re.compile(r"^([a-z]+)(\d{2})\.wav$")


def parse_savee(path) -> dict:
    """`DC/sa01.wav`: speaker folder, emotion prefix (a d f h n sa su), sentence number."""
    path = Path(path)
    m = _SAVEE.match(path.name)
    if not m or not path.parent.name:
        raise _no_match(path, "SAVEE", "SPEAKER/<prefix><nn>.wav, e.g. DC/sa01.wav")
    label, text = m.groups()
    return {"speaker": path.parent.name, "label": label, "text": text}


_CAFE = re.compile(r"^(\d{2})-([A-Z])(?:-(\d))?-(\d)\.wav$")
_CAFE_INTENSITY = {"1": "low", "2": "high"}  # faible / fort


def parse_cafe(path) -> dict:
    """`01-C-2-4.wav`: actor (odd = man), emotion initial, intensity, sentence.
    Neutral files have no intensity: `01-N-4.wav`."""
    m = _CAFE.match(Path(path).name)
    if not m:
        raise _no_match(path, "CaFE", "AA-E-I-S.wav or AA-N-S.wav")
    actor, label, intensity, sentence = m.groups()
    if intensity is not None and intensity not in _CAFE_INTENSITY:
        raise _no_match(path, "CaFE", "intensity 1 (faible) or 2 (fort)")
    return {
        "speaker": actor, "gender": _parity_gender(actor), "label": label, "text": sentence,
        "intensity": _CAFE_INTENSITY.get(intensity, "none"),
    }


_CREMAD = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})\.wav$")
_CREMAD_LEVEL = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified"}


def parse_cremad(path) -> dict:
    """`1001_DFA_ANG_XX.wav`: actor, sentence, emotion, level. Gender comes from
    VideoDemographics.csv (see the manifest), not from the name."""
    m = _CREMAD.match(Path(path).name)
    if not m or m.group(4) not in _CREMAD_LEVEL:
        raise _no_match(path, "CREMA-D", "AAAA_SSS_EEE_LL.wav, e.g. 1001_DFA_ANG_XX.wav")
    actor, sentence, label, level = m.groups()
    return {"speaker": actor, "label": label, "text": sentence, "intensity": _CREMAD_LEVEL[level]}


def parse_tess(path) -> dict:
    """`OAF_back_angry.wav`: speaker OAF/YAF, word, emotion (ps = pleasant surprise)."""
    parts = Path(path).stem.split("_")
    if Path(path).suffix.lower() != ".wav" or len(parts) < 3 or parts[0].upper() not in ("OAF", "YAF"):
        raise _no_match(path, "TESS", "OAF_word_emotion.wav or YAF_word_emotion.wav")
    return {"speaker": parts[0].upper(), "label": parts[-1].lower(),
            "text": "_".join(parts[1:-1]).lower()}


_IEMOCAP_UTT = re.compile(r"^Ses(\d{2})([FM])_(.+)_([FM])(\d{3})$")


def parse_iemocap(path) -> dict:
    """`Ses01F_impro01_F000.wav`: the speaker is the session plus the gender letter of the
    last part (F000 -> female). The emotion comes from EmoEvaluation (see below)."""
    stem = Path(path).stem
    m = _IEMOCAP_UTT.match(stem)
    if not m or Path(path).suffix.lower() != ".wav":
        raise _no_match(path, "IEMOCAP", "SesNNX_<dialog>_X000.wav")
    session, _, _, letter, _ = m.groups()
    dialog = stem.rsplit("_", 1)[0]
    return {
        "speaker": f"Ses{session}{letter}", "gender": "female" if letter == "F" else "male",
        "session": int(session), "dialog": dialog, "utterance": stem,
        "improvised": "_impro" in dialog,
    }


_IEMOCAP_EVAL = re.compile(
    r"^\[\s*([\d.]+)\s*-\s*([\d.]+)\s*\]\s+(\S+)\s+(\S+)\s+\[\s*([\d.]+),\s*([\d.]+),\s*([\d.]+)\s*\]"
)


def parse_iemocap_evaluation(path) -> dict[str, dict]:
    """One EmoEvaluation .txt -> {utterance id: label, start, end, valence, arousal, dominance}.

    Only the summary lines (starting with "[start - end]") are read; the per-annotator
    lines below them are ignored. Activation is returned as "arousal".
    """
    out = {}
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        m = _IEMOCAP_EVAL.match(line.strip())
        if m:
            start, end, utt, label, val, act, dom = m.groups()
            out[utt] = {"label": label, "start": float(start), "end": float(end),
                        "valence": float(val), "arousal": float(act), "dominance": float(dom)}
    return out


def _parser(name: str):
    fn = globals().get(name)
    if not name.startswith("parse_") or not callable(fn):
        raise DatasetError(f"manifest names label parser {name!r}, which helpers.datasets lacks")
    return fn


# --------------------------------------------------------------------------------------
# Finding a corpus on disk
# --------------------------------------------------------------------------------------

def layout_files(root: Path, layout: str) -> list[Path]:
    """Files matching the layout glob, skipping hidden files (e.g. macOS `._x.wav`)
    and the downloads folder."""
    out = []
    for p in root.glob(layout):
        rel = p.relative_to(root).parts
        if p.is_file() and rel[0] != DOWNLOADS_DIRNAME and not any(s.startswith(".") for s in rel):
            out.append(p)
    return sorted(out)


RECOGNISE_SHARE = 0.5  # a folder holds the corpus when at least this share of its files parse


def _looks_like(root: Path, manifest: dict) -> bool:
    """Whether `root` holds the corpus: judged by the share of layout files whose names follow
    its scheme, so a few misnamed files (reported by `scan_corpus`) do not hide it."""
    files = layout_files(root, manifest["layout"])
    if not files:
        return False
    parse = _parser(manifest["label_parser"])
    matching = 0
    for f in files:
        try:
            parse(f.relative_to(root))
            matching += 1
        except ValueError:
            pass
    return matching > 0 and matching >= RECOGNISE_SHARE * len(files)


def find_corpus_root(manifest: dict, data_dir=None) -> Path | None:
    """Where the corpus is: <data_dir>/<name>, or `data_dir` itself when it holds the corpus
    (e.g. the shared EmoDB subset), or a single folder inside either (archives that unpack
    into one top folder). None when absent."""
    base = paths.data_dir(data_dir)
    for candidate in (base / manifest["name"], base):
        if not candidate.is_dir():
            continue
        tries = [candidate]
        subdirs = [d for d in candidate.iterdir() if d.is_dir() and not d.name.startswith(".")
                   and d.name != DOWNLOADS_DIRNAME]
        if len(subdirs) == 1:
            tries.append(subdirs[0])
        for root in tries:
            if _looks_like(root, manifest):
                return root
    return None


def _numbered(steps) -> str:
    return "\n".join(f"  {i}. {s}" for i, s in enumerate(steps, 1))


def missing_corpus_error(manifest: dict, data_dir=None) -> DatasetError:
    """The error for an absent corpus: numbered steps to get it and to check it."""
    name = manifest["name"]
    base = paths.data_dir(data_dir)
    root = base / name
    where = (f"(data directory: {base}; choose another with data_dir=... / --data-dir, "
             f"or set ${paths.DATA_ENV_VAR})")
    cli_dir = f" --data-dir {base}" if data_dir is not None else ""
    check_step = f"Check the copy: python -m helpers data check {name}{cli_dir}"
    if manifest["access"] == "manual" or not manifest["download"]:
        why = ("needs a manual download (licence or registration)" if manifest["access"] == "manual"
               else "is public but cannot be downloaded as one archive")
        steps = [s.format(root=root, data_dir=base, name=name) for s in manifest["manual_steps"]]
        steps.append(check_step)
        return ManualDownloadRequired(
            f"{manifest['title']} ({name}) is not in {root}; it {why}.\n"
            f"{_numbered(steps)}\n{where}"
        )
    urls = ", ".join(e["url"] for e in manifest["download"])
    steps = [
        f"Download and unpack it: python -m helpers data fetch {name}{cli_dir}",
        f"Or download {urls} yourself and unpack it into {root} "
        f"so that {root}/{manifest['layout']} matches the audio files",
        check_step,
    ]
    return CorpusNotFoundError(
        f"{manifest['title']} ({name}) is not in {root}.\n{_numbered(steps)}\n{where}"
    )


# --------------------------------------------------------------------------------------
# Reading a corpus into a table
# --------------------------------------------------------------------------------------

def _emotion_mapping(manifest: dict, emotion_map) -> dict:
    mapping = dict(manifest["emotions"])
    for code, common in (emotion_map or {}).items():
        if common is not None:
            check_choice("emotion", common, COMMON_EMOTIONS)
        mapping[str(code)] = common
    return mapping


def _label_lookup(manifest: dict, root: Path) -> dict | None:
    pattern = manifest.get("label_files")
    if not pattern:
        return None
    read = _parser(manifest["label_file_parser"])
    lookup = {}
    for f in sorted(root.glob(pattern)):
        if f.is_file() and not f.name.startswith("."):
            lookup.update(read(f))
    return lookup


def _demographics(manifest: dict, root: Path) -> dict:
    spec = manifest.get("demographics")
    if not spec or not (root / spec["file"]).is_file():
        return {}
    table = pd.read_csv(root / spec["file"], dtype=str)
    values = spec.get("gender_values", {})
    out = {}
    for _, row in table.iterrows():
        age = row.get(spec.get("age_column", ""), None)
        out[str(row[spec["id_column"]]).strip()] = {
            "gender": values.get(str(row[spec["gender_column"]]).strip(), "unknown"),
            "age": float(age) if age not in (None, "") and pd.notna(age) else None,
        }
    return out


def _listed(items, limit: int = _MAX_LISTED) -> str:
    items = list(items)
    more = f" ... and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(map(str, items[:limit])) + more


def scan_corpus(manifest: dict, root, strict: bool = True, emotion_map=None) -> pd.DataFrame:
    """Parse every file under `root` with the manifest's rules and check the counts.

    Unknown label codes always raise (a wrong mapping would mislabel data silently).
    Fewer files than expected only warn (subsets are legitimate); unparsable names,
    unlabelled files and more files than expected raise when `strict`, else warn.
    The findings are in `df.attrs["report"]`.
    """
    root = Path(root)
    name = manifest["name"]
    parse = _parser(manifest["label_parser"])
    mapping = _emotion_mapping(manifest, emotion_map)
    lookup = _label_lookup(manifest, root)
    demographics = _demographics(manifest, root)

    rows, unparsed, unlabelled, duplicates, seen = [], [], [], [], set()
    excluded: dict[str, int] = {}
    for f in layout_files(root, manifest["layout"]):
        rel = f.relative_to(root)
        try:
            info = parse(rel)
        except ValueError:
            unparsed.append(rel.as_posix())
            continue
        if lookup is not None:
            if f.stem not in lookup:
                unlabelled.append(rel.as_posix())
                continue
            info.update(lookup[f.stem])
        key = (info["speaker"], f.name)
        if key in seen:
            duplicates.append(rel.as_posix())
            continue
        seen.add(key)
        code = str(info.pop("label"))
        if code not in mapping:
            raise UnknownLabelError(
                f"{f}: label code {code!r} is not in the {name} manifest "
                f"(known codes: {', '.join(mapping)})"
            )
        if mapping[code] is None:
            excluded[code] = excluded.get(code, 0) + 1
            continue
        speaker = str(info.pop("speaker"))
        table = manifest["speakers"].get(speaker) or demographics.get(speaker) or {}
        parsed_gender = info.pop("gender", "unknown")
        gender = table.get("gender") if table.get("gender", "unknown") != "unknown" else parsed_gender
        rows.append({
            "path": str(f.resolve()), "corpus": name, "speaker": speaker, "gender": gender,
            "age": table.get("age"), "emotion": mapping[code], "label": code, **info,
        })

    found = len(rows) + sum(excluded.values())
    expected = manifest["n_files"]
    speakers_known = set(manifest["speakers"]) | set(demographics)
    report = {
        "corpus": name, "root": str(root), "expected": expected, "found": found,
        "rows": len(rows), "missing": max(0, expected - found), "extra": max(0, found - expected),
        "excluded": excluded, "unparsed": unparsed, "unlabelled": unlabelled,
        "duplicates": duplicates,
        "unknown_speakers": sorted({r["speaker"] for r in rows} - speakers_known)
        if speakers_known else [],
    }
    report["complete"] = found == expected and not (unparsed or unlabelled or duplicates)

    if found == 0:
        raise DatasetError(f"{root}: no usable {name} files under layout {manifest['layout']!r}"
                           + (f"; unparsable names: {_listed(unparsed)}" if unparsed else ""))
    problems = []
    if unparsed:
        problems.append(f"{len(unparsed)} file name(s) do not follow the {name} scheme: "
                        f"{_listed(unparsed)}")
    if unlabelled:
        problems.append(f"{len(unlabelled)} file(s) have no entry in the label files: "
                        f"{_listed(unlabelled)}")
    if found > expected:
        problems.append(f"found {found} files but the manifest expects {expected} "
                        "(a second copy or other files inside the corpus folder?)")
    if problems and strict:
        raise DatasetError(f"{root}: " + "; ".join(problems) + ". Pass strict=False to skip them.")
    for p in problems:
        warnings.warn(f"{root}: {p}", IncompleteCorpusWarning, stacklevel=3)
    if duplicates:
        warnings.warn(f"{root}: skipped {len(duplicates)} duplicate file(s): {_listed(duplicates)}",
                      IncompleteCorpusWarning, stacklevel=3)
    if found < expected:
        warnings.warn(f"{root}: found {found} of {expected} {name} files "
                      f"({expected - found} missing; fine for a subset)",
                      IncompleteCorpusWarning, stacklevel=3)

    df = pd.DataFrame(rows) if rows else pd.DataFrame(columns=CORE_COLUMNS)
    extras = [c for c in df.columns if c not in CORE_COLUMNS]
    df = df[CORE_COLUMNS + extras].sort_values("path", kind="stable").reset_index(drop=True)
    df["age"] = pd.to_numeric(df["age"], errors="coerce")
    df.attrs["report"] = report
    return df


def _check_emotions(emotions, manifest: dict | None) -> list[str] | None:
    if emotions is None:
        return None
    if isinstance(emotions, str):
        emotions = [emotions]
    emotions = list(emotions)
    for e in emotions:
        check_choice("emotion", e, COMMON_EMOTIONS)
    if manifest is not None:
        available = sorted({v for v in manifest["emotions"].values() if v})
        absent = [e for e in emotions if e not in available]
        if absent:
            raise InvalidParameterError(
                f"{manifest['name']} has no {', '.join(absent)}; it has: {', '.join(available)}"
            )
    return emotions


def _load_synthetic(name: str, data_dir, seed: int) -> pd.DataFrame:
    try:
        synthetic = importlib.import_module("helpers.synthetic")
    except ModuleNotFoundError as exc:
        if exc.name != "helpers.synthetic":
            raise
        raise DatasetError(f"corpus {name!r} is generated by helpers.synthetic, "
                           "which is not installed in this checkout") from exc
    # A non-default seed gets its own folder so it never regenerates the shared seed-0 corpus.
    folder = name if seed == 0 else f"{name}-seed{seed}"
    return synthetic.ensure_corpus(root=paths.data_dir(data_dir) / folder, variant=name, seed=seed)


def load(name: str, data_dir=None, emotions=None, strict: bool = True, emotion_map=None,
         seed: int = 0) -> pd.DataFrame:
    """One row per file: path, corpus, speaker, gender, age, emotion, label, plus the
    corpus's own columns (text, take, intensity, valence, arousal, dominance, ...).

    name: a corpus from `list_corpora()` or a synthetic variant (generated on first use
      under <data_dir>/<name> with `seed`).
    data_dir: the folder holding <name>/ (or the corpus folder itself); default
      $SERXAI_DATA, else the user cache dir.
    emotions: keep only these common labels (checked before any work).
    emotion_map: override the manifest's code -> label mapping, e.g. {"exc": None}.
    """
    check_corpus_name(name)
    if name in synthetic_variants():
        wanted = _check_emotions(emotions, None)
        df = _load_synthetic(name, data_dir, seed)
    else:
        manifest = load_manifest(name)
        wanted = _check_emotions(emotions, manifest)
        _emotion_mapping(manifest, emotion_map)  # validate before touching the disk
        root = find_corpus_root(manifest, data_dir)
        if root is None:
            raise missing_corpus_error(manifest, data_dir)
        df = scan_corpus(manifest, root, strict=strict, emotion_map=emotion_map)
    if wanted is not None:
        attrs = dict(df.attrs)
        df = df[df["emotion"].isin(wanted)].reset_index(drop=True)
        df.attrs.update(attrs)
    return df


def load_emodb_subset(emotions=None) -> pd.DataFrame:
    """The 200-file EmoDB subset in ../shared/data (tests and demos). It is incomplete by
    design, so the count warning is silenced; the report stays in `df.attrs`."""
    if not (paths.EMODB_SUBSET_DIR / "wav").is_dir():
        raise DatasetError(
            f"the EmoDB subset is not at {paths.EMODB_SUBSET_DIR}; it exists only beside the "
            "project's own checkout. Use load('emodb') for the full corpus."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IncompleteCorpusWarning)
        return load("emodb", data_dir=paths.EMODB_SUBSET_DIR, emotions=emotions)
