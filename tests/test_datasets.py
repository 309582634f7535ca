"""Manifests, label parsers and load(): mimic corpora in tmp_path plus the real EmoDB subset."""
from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from helpers import datasets
from helpers.datasets import (
    load,
    load_emodb_subset,
    load_manifest,
    list_corpora,
    parse_cafe,
    parse_cremad,
    parse_emodb,
    parse_iemocap,
    parse_iemocap_evaluation,
    parse_ravdess,
    parse_savee,
    parse_tess,
    scan_corpus,
)
from helpers.errors import (
    CorpusNotFoundError,
    DatasetError,
    IncompleteCorpusWarning,
    InvalidParameterError,
    ManifestError,
    ManualDownloadRequired,
    UnknownLabelError,
)
from helpers.manifest import COMMON_EMOTIONS, FALLBACK_SYNTHETIC_VARIANTS, validate_manifest

CORPORA = ["cafe", "cremad", "emodb", "iemocap", "ravdess", "savee", "tess"]


def quiet_load(*args, **kw):
    """load() on a mimic corpus: the count shortfall warning is expected there."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IncompleteCorpusWarning)
        return load(*args, **kw)


def row(df, name):
    hits = df[df["path"].str.endswith(name)]
    assert len(hits) == 1, f"{name} not (uniquely) in table"
    return hits.iloc[0]


# ---------------------------------------------------------------- manifests

def test_list_corpora_is_the_seven_manifests():
    assert list_corpora() == CORPORA


@pytest.mark.parametrize(
    "name, access, n_files, n_speakers, sample_rate",
    [("emodb", "public", 535, 10, 16000), ("ravdess", "public", 1440, 24, 48000),
     ("savee", "manual", 480, 4, 44100), ("iemocap", "manual", 10039, 10, 16000),
     ("cafe", "public", 936, 12, 48000), ("cremad", "public", 7442, 0, 16000),
     ("tess", "public", 2800, 2, 24414)],
)
def test_manifest_facts(name, access, n_files, n_speakers, sample_rate):
    m = load_manifest(name)
    assert (m["access"], m["n_files"], len(m["speakers"]), m["sample_rate"]) == (
        access, n_files, n_speakers, sample_rate)
    assert callable(getattr(datasets, m["label_parser"]))
    assert set(v for v in m["emotions"].values() if v) <= set(COMMON_EMOTIONS)
    assert m["citation"] and m["licence"] and m["homepage"].startswith("http")
    for entry in m["download"]:
        assert entry["url"].startswith("http") and entry["filename"]
    if access == "manual":
        assert m["download"] == [] and len(m["manual_steps"]) >= 2


def test_manifest_speaker_facts():
    emodb = load_manifest("emodb")["speakers"]
    assert emodb["08"] == {"gender": "female", "age": 34}
    assert emodb["03"] == {"gender": "male", "age": 31}
    assert sorted(s for s, v in emodb.items() if v["gender"] == "female") == ["08", "09", "13", "14", "16"]
    ravdess = load_manifest("ravdess")["speakers"]
    assert all(v["gender"] == ("male" if int(s) % 2 else "female") for s, v in ravdess.items())
    assert set(load_manifest("savee")["speakers"]) == {"DC", "JE", "JK", "KL"}
    assert {v["gender"] for v in load_manifest("tess")["speakers"].values()} == {"female"}
    assert load_manifest("iemocap")["emotions"]["exc"] == "happiness"
    assert load_manifest("iemocap")["emotions"]["fru"] is None


def test_manifest_validation_names_the_problem():
    m = dict(load_manifest("emodb"))
    with pytest.raises(ManifestError, match="emotions"):
        validate_manifest({**m, "emotions": {"W": "rage"}}, source="x.yaml")
    with pytest.raises(ManifestError, match="missing field.*n_files"):
        validate_manifest({k: v for k, v in m.items() if k != "n_files"})
    with pytest.raises(ManifestError, match="manual_steps"):
        validate_manifest({**m, "access": "manual", "download": [], "manual_steps": None})
    with pytest.raises(ManifestError, match="sha256"):
        validate_manifest({**m, "download": [{"url": "http://x", "filename": "a.zip", "sha256": "abc"}]})


def test_unknown_corpus_lists_valid_names():
    with pytest.raises(InvalidParameterError) as err:
        load("emodbb")
    text = str(err.value)
    assert "'emodbb'" in text
    for name in CORPORA + ["synthetic", "synthetic-family"]:
        assert name in text
    with pytest.raises(InvalidParameterError, match="ravdess"):
        load_manifest("nope")


# ---------------------------------------------------------------- parsers (pure)

@pytest.mark.parametrize("fn, path, expected", [
    (parse_emodb, "wav/03a01Wa.wav", {"speaker": "03", "label": "W", "text": "a01", "take": "a"}),
    (parse_emodb, "16b10Tc.wav", {"speaker": "16", "label": "T", "text": "b10", "take": "c"}),
    (parse_ravdess, "Actor_12/03-01-05-02-02-01-12.wav",
     {"speaker": "12", "gender": "female", "label": "05", "text": "02", "take": "01",
      "intensity": "strong", "modality": "03", "channel": "speech"}),
    (parse_savee, "DC/sa01.wav", {"speaker": "DC", "label": "sa", "text": "01"}),
    (parse_savee, "AudioData/KL/su15.wav", {"speaker": "KL", "label": "su", "text": "15"}),
    (parse_savee, "JE/a03.wav", {"speaker": "JE", "label": "a", "text": "03"}),
    (parse_cafe, "Colère/Fort/01-C-2-4.wav",
     {"speaker": "01", "gender": "male", "label": "C", "text": "4", "intensity": "high"}),
    (parse_cafe, "Neutre/02-N-6.wav",
     {"speaker": "02", "gender": "female", "label": "N", "text": "6", "intensity": "none"}),
    (parse_cremad, "AudioWAV/1001_DFA_ANG_XX.wav",
     {"speaker": "1001", "label": "ANG", "text": "DFA", "intensity": "unspecified"}),
    (parse_cremad, "1091_IEO_SAD_LO.wav",
     {"speaker": "1091", "label": "SAD", "text": "IEO", "intensity": "low"}),
    (parse_tess, "OAF_angry/OAF_back_angry.wav", {"speaker": "OAF", "label": "angry", "text": "back"}),
    (parse_tess, "YAF_pleasant_surprised/YAF_bath_ps.wav", {"speaker": "YAF", "label": "ps", "text": "bath"}),
    (parse_iemocap, "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_M003.wav",
     {"speaker": "Ses01M", "gender": "male", "session": 1, "dialog": "Ses01F_impro01",
      "utterance": "Ses01F_impro01_M003", "improvised": True}),
    (parse_iemocap, "Ses05M_script02_1_F014.wav",
     {"speaker": "Ses05F", "gender": "female", "session": 5, "dialog": "Ses05M_script02_1",
      "utterance": "Ses05M_script02_1_F014", "improvised": False}),
])
def test_parser_fields(fn, path, expected):
    assert fn(path) == expected


@pytest.mark.parametrize("fn, name", [
    (parse_emodb, "3a01Wa.wav"), (parse_emodb, "03a01Wa.mp3"),
    (parse_ravdess, "03-01-05-01-02-12.wav"), (parse_ravdess, "03-03-05-01-02-01-12.wav"),
    (parse_savee, "DC/sa.wav"), (parse_cafe, "01-C-3-4.wav"), (parse_cafe, "1-C-2-4.wav"),
    (parse_cremad, "1001_DFA_ANG_ZZ.wav"), (parse_tess, "ZAF_back_angry.wav"),
    (parse_tess, "OAF_angry.wav"), (parse_iemocap, "Ses01F_impro01.wav"),
])
def test_parser_rejects_foreign_names(fn, name):
    with pytest.raises(ValueError) as err:
        fn(name)
    assert name.split("/")[-1] in str(err.value)


def test_iemocap_evaluation_summary_lines(tmp_path):
    f = tmp_path / "Ses01F_impro01.txt"
    f.write_text(
        "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"
        "[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]\n"
        "C-E2:\tNeutral;\t()\n"
        "A-E3:\tval 3; act 2; dom  2;\t()\n\n"
        "[10.0100 - 11.3925]\tSes01F_impro01_M001\texc\t[4.0000, 3.5000, 3.0000]\n"
    )
    out = parse_iemocap_evaluation(f)
    assert list(out) == ["Ses01F_impro01_F000", "Ses01F_impro01_M001"]
    assert out["Ses01F_impro01_F000"] == {"label": "neu", "start": 6.2901, "end": 8.2357,
                                          "valence": 2.5, "arousal": 2.5, "dominance": 2.5}
    assert out["Ses01F_impro01_M001"]["valence"] == 4.0
    assert out["Ses01F_impro01_M001"]["arousal"] == 3.5


# ---------------------------------------------------------------- load() on mimic corpora

def test_emodb_mimic(tmp_path, make_corpus):
    make_corpus(tmp_path / "emodb", ["wav/03a01Wa.wav", "wav/08a02Lb.wav", "wav/16b10Tc.wav",
                                     "wav/11a05Ea.wav"])
    with pytest.warns(IncompleteCorpusWarning, match="found 4 of 535"):
        df = load("emodb", data_dir=tmp_path)
    assert list(df.columns[:7]) == ["path", "corpus", "speaker", "gender", "age", "emotion", "label"]
    assert df["path"].tolist() == sorted(df["path"])
    assert df[["speaker", "gender", "emotion"]].values.tolist() == [
        ["03", "male", "anger"], ["08", "female", "boredom"], ["11", "male", "disgust"],
        ["16", "female", "sadness"]]
    assert row(df, "08a02Lb.wav")["age"] == 34
    assert str(tmp_path) in df["path"].iloc[0]
    report = df.attrs["report"]
    assert (report["expected"], report["found"], report["missing"]) == (535, 4, 531)
    assert report["complete"] is False


def test_ravdess_mimic(tmp_path, make_corpus):
    make_corpus(tmp_path / "ravdess", ["Actor_01/03-01-05-01-02-01-01.wav",
                                       "Actor_12/03-01-02-02-01-02-12.wav",
                                       "Actor_23/03-01-08-01-01-01-23.wav"])
    df = quiet_load("ravdess", data_dir=tmp_path)
    r1, r12, r23 = (row(df, n) for n in ("-01.wav", "-12.wav", "-23.wav"))
    assert (r1.speaker, r1.gender, r1.emotion, r1.intensity) == ("01", "male", "anger", "normal")
    assert (r12.speaker, r12.gender, r12.emotion, r12.intensity) == ("12", "female", "calm", "strong")
    assert (r23.gender, r23.emotion, r23.text) == ("male", "surprise", "01")


def test_savee_mimic_two_letter_prefixes(tmp_path, make_corpus):
    make_corpus(tmp_path / "savee", ["AudioData/DC/sa01.wav", "AudioData/JE/su02.wav",
                                     "AudioData/KL/a03.wav", "AudioData/JK/n30.wav",
                                     "AudioData/DC/d01.wav"])
    df = quiet_load("savee", data_dir=tmp_path)
    got = {(r.speaker, r.emotion) for r in df.itertuples()}
    assert got == {("DC", "sadness"), ("JE", "surprise"), ("KL", "anger"), ("JK", "neutral"),
                   ("DC", "disgust")}
    assert set(df["gender"]) == {"male"}


def test_cafe_mimic_with_top_folder(tmp_path, make_corpus):
    make_corpus(tmp_path / "cafe", ["CaFE_48k/Colère/Fort/01-C-2-4.wav",
                                    "CaFE_48k/Neutre/02-N-1.wav",
                                    "CaFE_48k/Joie/Faible/12-J-1-6.wav",
                                    "CaFE_48k/Peur/Faible/07-P-1-2.wav"])
    df = quiet_load("cafe", data_dir=tmp_path)
    got = {r.speaker: (r.gender, r.emotion, r.intensity, r.age) for r in df.itertuples()}
    assert got == {"01": ("male", "anger", "high", 46), "02": ("female", "neutral", "none", 64),
                   "12": ("female", "happiness", "low", 37), "07": ("male", "fear", "low", 15)}


def test_cremad_mimic_genders_from_demographics(tmp_path, make_corpus):
    root = make_corpus(tmp_path / "cremad", ["AudioWAV/1001_DFA_ANG_XX.wav",
                                             "AudioWAV/1002_IEO_HAP_HI.wav",
                                             "AudioWAV/1003_TIE_NEU_XX.wav"])
    df = quiet_load("cremad", data_dir=tmp_path)
    assert set(df["gender"]) == {"unknown"}  # no demographics table yet
    (root / "VideoDemographics.csv").write_text(
        "ActorID,Age,Sex,Race,Ethnicity\n1001,51,Male,Caucasian,Not Hispanic\n"
        "1002,21,Female,Caucasian,Not Hispanic\n"
    )
    df = quiet_load("cremad", data_dir=tmp_path)
    got = {r.speaker: (r.gender, r.emotion, r.intensity) for r in df.itertuples()}
    assert got == {"1001": ("male", "anger", "unspecified"), "1002": ("female", "happiness", "high"),
                   "1003": ("unknown", "neutral", "unspecified")}
    assert row(df, "1001_DFA_ANG_XX.wav")["age"] == 51
    assert df.attrs["report"]["unknown_speakers"] == ["1003"]


def test_tess_mimic_and_duplicate_copies(tmp_path, make_corpus):
    names = ["OAF_angry/OAF_back_angry.wav", "YAF_pleasant_surprised/YAF_bath_ps.wav",
             "OAF_Sad/OAF_dog_sad.wav"]
    make_corpus(tmp_path / "tess", names)
    df = quiet_load("tess", data_dir=tmp_path)
    got = {(r.speaker, r.text, r.emotion, r.age) for r in df.itertuples()}
    assert got == {("OAF", "back", "anger", 64), ("YAF", "bath", "surprise", 26),
                   ("OAF", "dog", "sadness", 64)}
    # a second nested copy (as in some redistributions) is reported, not double-counted
    make_corpus(tmp_path / "tess", ["nested/" + n for n in names])
    df = quiet_load("tess", data_dir=tmp_path)
    assert len(df) == 3 and len(df.attrs["report"]["duplicates"]) == 3


EVAL_TEXT = (
    "[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]\n"
    "[9.0000 - 10.0000]\tSes01F_impro01_M001\texc\t[4.0000, 3.5000, 3.0000]\n"
    "[11.0000 - 12.5000]\tSes01F_impro01_F002\tfru\t[2.0000, 3.5000, 3.5000]\n"
    "[13.0000 - 14.0000]\tSes01F_impro01_M003\tang\t[1.5000, 4.0000, 4.0000]\n"
)


def make_iemocap(root, make_corpus, utterances=("F000", "M001", "F002", "M003")):
    ev = root / "Session1" / "dialog" / "EmoEvaluation"
    ev.mkdir(parents=True)
    (ev / "Ses01F_impro01.txt").write_text(EVAL_TEXT)
    make_corpus(root, [f"Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_{u}.wav"
                       for u in utterances])


def test_iemocap_mimic_labels_and_dimensions(tmp_path, make_corpus):
    make_iemocap(tmp_path / "iemocap" / "IEMOCAP_full_release", make_corpus)
    df = quiet_load("iemocap", data_dir=tmp_path)
    assert len(df) == 3  # fru has no common label and is dropped
    f0, m1, m3 = (row(df, f"_{u}.wav") for u in ("F000", "M001", "M003"))
    assert (f0.speaker, f0.gender, f0.emotion, f0.valence, f0.arousal) == (
        "Ses01F", "female", "neutral", 2.5, 2.5)
    assert (m1.speaker, m1.gender, m1.emotion, m1.label) == ("Ses01M", "male", "happiness", "exc")
    assert (m3.emotion, m3.valence, m3.dominance, m3.start, m3.end) == ("anger", 1.5, 4.0, 13.0, 14.0)
    assert df.attrs["report"]["excluded"] == {"fru": 1}
    assert df.attrs["report"]["found"] == 4

    apart = quiet_load("iemocap", data_dir=tmp_path, emotion_map={"exc": None})
    assert set(apart["label"]) == {"neu", "ang"}
    assert apart.attrs["report"]["excluded"] == {"fru": 1, "exc": 1}


def test_iemocap_unlabelled_wav_strict_and_lenient(tmp_path, make_corpus):
    make_iemocap(tmp_path / "iemocap", make_corpus, utterances=("F000", "M001", "F099"))
    with pytest.raises(DatasetError, match="Ses01F_impro01_F099.wav"):
        quiet_load("iemocap", data_dir=tmp_path)
    df = quiet_load("iemocap", data_dir=tmp_path, strict=False)
    assert len(df) == 2
    assert df.attrs["report"]["unlabelled"] == [
        "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F099.wav"]


def test_unknown_label_code_names_the_file(tmp_path, make_corpus):
    make_corpus(tmp_path / "emodb", ["wav/03a01Wa.wav", "wav/03a01Xa.wav"])
    with pytest.raises(UnknownLabelError) as err:
        quiet_load("emodb", data_dir=tmp_path, strict=False)
    assert "03a01Xa.wav" in str(err.value) and "'X'" in str(err.value)


def test_foreign_file_names_strict_and_lenient(tmp_path, make_corpus):
    make_corpus(tmp_path / "emodb", ["wav/03a01Wa.wav", "wav/readme_take2.wav"])
    with pytest.raises(DatasetError, match="readme_take2.wav.*strict=False"):
        quiet_load("emodb", data_dir=tmp_path)
    df = quiet_load("emodb", data_dir=tmp_path, strict=False)
    assert len(df) == 1 and df.attrs["report"]["unparsed"] == ["wav/readme_take2.wav"]


def test_more_files_than_expected(tmp_path, make_corpus):
    root = make_corpus(tmp_path / "x", ["wav/03a01Wa.wav", "wav/03a01Wb.wav"])
    manifest = {**load_manifest("emodb"), "n_files": 1}
    with pytest.raises(DatasetError, match="found 2 files but the manifest expects 1"):
        scan_corpus(manifest, root)
    with pytest.warns(IncompleteCorpusWarning, match="expects 1"):
        df = scan_corpus(manifest, root, strict=False)
    assert df.attrs["report"]["extra"] == 1


def test_hidden_files_are_ignored(tmp_path, make_corpus):
    make_corpus(tmp_path / "emodb", ["wav/03a01Wa.wav", "wav/._03a01Wa.wav"])
    df = quiet_load("emodb", data_dir=tmp_path)
    assert len(df) == 1 and df.attrs["report"]["unparsed"] == []


def test_emotions_filter(tmp_path, make_corpus):
    make_corpus(tmp_path / "emodb", ["wav/03a01Wa.wav", "wav/08a02Lb.wav", "wav/16b10Tc.wav"])
    df = quiet_load("emodb", data_dir=tmp_path, emotions=["anger", "sadness"])
    assert sorted(df["emotion"]) == ["anger", "sadness"]
    assert df.attrs["report"]["found"] == 3  # the report describes the whole copy
    assert quiet_load("emodb", data_dir=tmp_path, emotions="boredom")["speaker"].tolist() == ["08"]


def test_emotions_are_checked_before_touching_disk(tmp_path):
    absent = tmp_path / "nothing-here"
    with pytest.raises(InvalidParameterError) as err:
        load("emodb", data_dir=absent, emotions=["anger", "angry"])
    assert "'angry'" in str(err.value) and "happiness" in str(err.value)
    with pytest.raises(InvalidParameterError, match="ravdess has no boredom"):
        load("ravdess", data_dir=absent, emotions=["boredom"])
    with pytest.raises(InvalidParameterError, match="'glee'"):
        load("iemocap", data_dir=absent, emotion_map={"exc": "glee"})


# ---------------------------------------------------------------- absent corpora

@pytest.mark.parametrize("name", ["savee", "iemocap"])
def test_manual_corpus_absent_gives_numbered_steps(tmp_path, name):
    with pytest.raises(ManualDownloadRequired) as err:
        load(name, data_dir=tmp_path)
    text = str(err.value)
    lines = [ln.strip() for ln in text.splitlines()]
    numbered = [ln for ln in lines if ln[:2] in {f"{i}." for i in range(1, 10)}]
    assert [ln[:2] for ln in numbered] == [f"{i}." for i in range(1, len(numbered) + 1)]
    assert len(numbered) >= 3
    assert f"python -m helpers data check {name}" in numbered[-1]
    assert str(tmp_path / name) in text  # where to put it
    assert "http" in numbered[0]  # where to request it


def test_iemocap_steps_name_the_archive(tmp_path):
    with pytest.raises(ManualDownloadRequired, match="IEMOCAP_full_release.tar.gz"):
        load("iemocap", data_dir=tmp_path)


def test_public_corpus_absent_says_fetch(tmp_path):
    with pytest.raises(CorpusNotFoundError) as err:
        load("ravdess", data_dir=tmp_path)
    text = str(err.value)
    assert "1. Download and unpack it: python -m helpers data fetch ravdess" in text
    assert "3. Check the copy: python -m helpers data check ravdess" in text
    assert "Audio_Speech_Actors_01-24.zip" in text


def test_cremad_absent_gives_git_lfs_steps(tmp_path):
    with pytest.raises(ManualDownloadRequired) as err:
        load("cremad", data_dir=tmp_path)
    assert "git lfs pull" in str(err.value) and "4. Check the copy" in str(err.value)


def test_other_corpus_in_data_dir_is_not_mistaken(tmp_path, make_corpus):
    make_corpus(tmp_path / "emodb", ["wav/03a01Wa.wav"])
    with pytest.raises(CorpusNotFoundError):
        load("tess", data_dir=tmp_path)


# ---------------------------------------------------------------- the shared EmoDB subset

def test_emodb_subset_loads(emodb_subset_dir):
    with pytest.warns(IncompleteCorpusWarning, match="found 200 of 535"):
        df = load("emodb", data_dir=emodb_subset_dir)
    assert len(df) == 200
    assert sorted(df["speaker"].unique()) == ["03", "08", "10", "11"]
    genders = df.groupby("speaker")["gender"].first().to_dict()
    assert genders == {"03": "male", "08": "female", "10": "male", "11": "male"}
    ages = df.groupby("speaker")["age"].first().to_dict()
    assert ages == {"03": 31, "08": 34, "10": 32, "11": 26}
    assert set(df["emotion"]) == {"anger", "boredom", "disgust", "fear", "happiness", "sadness", "neutral"}
    assert df["path"].map(lambda p: p.endswith(".wav")).all()
    assert df.attrs["report"]["missing"] == 335 and df.attrs["report"]["unparsed"] == []


def test_load_emodb_subset_is_quiet(emodb_subset_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error", IncompleteCorpusWarning)
        df = load_emodb_subset(emotions=["anger", "neutral"])
    assert set(df["emotion"]) == {"anger", "neutral"} and 0 < len(df) < 200


# ---------------------------------------------------------------- synthetic variants

needs_synthetic = pytest.mark.skipif(
    importlib.util.find_spec("helpers.synthetic") is None,
    reason="helpers.synthetic (planted-cue generator) is not in this checkout yet",
)


@needs_synthetic
def test_synthetic_load_delegates_to_ensure_corpus(tmp_path, monkeypatch):
    import helpers.synthetic as synthetic

    calls = []

    def fake_ensure_corpus(root, variant="synthetic", seed=0, **kw):
        calls.append((root, variant, seed))
        return pd.DataFrame({"path": ["a.wav", "b.wav", "c.wav"], "corpus": variant,
                             "speaker": ["s1", "s1", "s2"], "gender": "female",
                             "emotion": ["anger", "neutral", "anger"]})

    monkeypatch.setattr(synthetic, "ensure_corpus", fake_ensure_corpus)
    variant = list(synthetic.VARIANTS)[0]
    df = load(variant, data_dir=tmp_path, emotions=["anger"], seed=3)
    load(variant, data_dir=tmp_path)
    # a non-default seed gets its own folder, so it never regenerates the shared seed-0 corpus
    assert calls == [(tmp_path / f"{variant}-seed3", variant, 3), (tmp_path / variant, variant, 0)]
    assert df["path"].tolist() == ["a.wav", "c.wav"]
    assert load_manifest(variant)["access"] == "generated"


def test_without_synthetic_module_names_fall_back(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "helpers.synthetic", None)
    with pytest.raises(InvalidParameterError) as err:
        load("nope")
    for name in FALLBACK_SYNTHETIC_VARIANTS:
        assert name in str(err.value)
    with pytest.raises(DatasetError, match="helpers.synthetic"):
        load("synthetic", data_dir=tmp_path)


@needs_synthetic
def test_synthetic_load_real_contract(tmp_path):
    """One real generation (a few seconds): the table has the shared core columns."""
    df = load("synthetic", data_dir=tmp_path, emotions=["anger", "neutral"])
    assert {"path", "corpus", "speaker", "gender", "emotion"} <= set(df.columns)
    assert set(df["emotion"]) == {"anger", "neutral"}
    assert set(df["gender"]) <= {"male", "female"}
    assert all(Path(p).is_file() and str(tmp_path / "synthetic") in str(p) for p in df["path"])
