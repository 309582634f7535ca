"""hjuler2025 notebook pieces: Table I assembly, Fig 4 summary, claim checks, and the EmoDB-subset run."""
import numpy as np
import pandas as pd
import pytest

from helpers import emolime_models as em
from helpers import verdicts
from helpers.verdicts import has_ci


def fake_weights(profile_by_model_emotion, datasets=("d1", "d2"), n=6, noise=0.01, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for dataset in datasets:
        for (model, emotion), profile in profile_by_model_emotion.items():
            for u in range(n):
                w = np.asarray(profile, float) + rng.normal(scale=noise, size=8)
                rows += [dict(dataset=dataset, model=model, utterance=f"{emotion}{u}", speaker="s", emotion=emotion,
                              component=c + 1, lo_hz=0.0, hi_hz=1.0, weight=w[c]) for c in range(8)]
    return pd.DataFrame(rows)


LOW = [0.3, 0.3, 0.3, 0, 0, 0, 0, 0]
HIGH = [0, 0, 0, 0.1, 0.2, 0.2, 0.2, 0.0]
FLAT = [0.05] * 7 + [0.0]


def paper_like_profiles():
    return {("wav2vec2", "anger"): np.add(LOW, HIGH), ("wav2vec2", "sadness"): LOW,
            ("wav2vec2", "happiness"): HIGH, ("wav2vec2", "neutral"): [0.1, 0.1, 0.1, 0, 0.1, 0.1, 0.1, 0],
            **{("compare", e): FLAT for e in em.EMOTION_CODES}}


def test_cramer_table_families_counts_and_paper_cells():
    weights = fake_weights(paper_like_profiles(), datasets=("d1", "d2", "d3"))
    table = em.cramer_table(weights, ["d1", "d2", "d3"], replicates=200, seed=0)
    assert len(table) == 12 + 24
    assert (table.family == "model vs model").sum() == 12
    # same profile in every dataset: dataset pairs accept; ComParE flat vs wav2vec2 shaped: models reject
    assert table[table.family != "model vs model"].accepted.mean() > 0.8
    assert not table[table.family == "model vs model"].accepted.any()
    first = table.iloc[0]
    assert (first.comparison, first.emotion, first.paper_cell, first.paper_accepted) == ("d1: compare vs wav2vec2", "A", "EDB", False)
    rv_ie = table[(table.comparison == "d2 vs d3") & (table.family == "datasets (wav2vec2)") & (table.emotion == "A")].iloc[0]
    assert rv_ie.paper_cell == "RV vs IE" and rv_ie.paper_accepted  # paper: 0.22 < 0.25, p 0.08
    paper_counts = sum(v[3] for cells in em.PAPER_TABLE1.values() for v in cells.values())
    assert paper_counts == 8 + 9


def verdict_of(rows, start):
    [r] = [r for r in rows if r["item"].startswith(start)]
    return r


def test_takeaways_hold_on_a_paper_like_pattern_and_fail_on_the_reverse():
    rows = em.takeaway_checks(fake_weights(paper_like_profiles()))
    assert [r["agrees"] for r in rows] == ["yes"] * 5
    assert all(has_ci(r["this_run"]) and r["sampling_noise"] == "yes" and r["basis"] == "paper text" for r in rows)
    assert verdicts.problems(pd.DataFrame(rows).assign(dataset="d1, d2")) == []
    reverse = {k: v[::-1] for k, v in paper_like_profiles().items()}
    rows = em.takeaway_checks(fake_weights(reverse))
    assert verdict_of(rows, "Fig 4 (i)")["agrees"] == "no"
    assert verdict_of(rows, "§V: the highest component (8) gets near-zero weight (wav2vec2)")["agrees"] == "no"


def test_takeaway_straddling_interval_is_unclear():
    # anger: low and high components alike apart from noise -> the CI of (1–3 minus 4–8) straddles 0
    profiles = {**paper_like_profiles(), ("wav2vec2", "anger"): [0.1] * 8}
    rows = em.takeaway_checks(fake_weights(profiles, n=8, noise=0.05), seed=3)
    first = verdict_of(rows, "Fig 4 (i)")
    assert first["agrees"] == "unclear", first["this_run"]
    lo, hi = [float(x) for x in first["this_run"].split(";")[0].split("[")[1].rstrip("]").split(",")]
    assert lo < 0 < hi


def test_stand_in_rows_are_not_scored_and_say_stand_in():
    weights = fake_weights(paper_like_profiles())
    rows = em.takeaway_checks(weights, stand_in=True, dataset="d1, d2")
    about_w2v = [r for r in rows if not r["item"].endswith("(compare)")]
    assert len(about_w2v) == 4 and all(r["agrees"] == "n/a" for r in about_w2v)
    assert all("stand-in" in r["dataset"] and r["dataset"].startswith("d1, d2") for r in about_w2v)
    assert all("measured" in r["note"] for r in about_w2v)
    compare_row = verdict_of(rows, "§V: the highest component (8) gets near-zero weight (compare)")
    assert compare_row["agrees"] == "yes" and "dataset" not in compare_row  # ComParE is the paper's model type
    assert verdicts.problems(pd.DataFrame(rows).fillna({"dataset": "d1, d2"})) == []
    # the same rows without the stand-in flag are scored
    assert all(r["agrees"] == "yes" for r in em.takeaway_checks(weights, stand_in=False))


def test_example_checks_read_the_captions_of_figs_2_and_3():
    weights = fake_weights({("wav2vec2", "happiness"): HIGH, ("wav2vec2", "anger"): LOW,
                            ("compare", "happiness"): LOW, ("compare", "anger"): FLAT}, datasets=("d1",), n=1)
    rows = em.example_checks(weights)
    items = [r["item"] for r in rows]
    assert items[0].startswith("Fig 2a") and items[1].startswith("Fig 2b") and items[3].startswith("Fig 3b")
    assert not any("uniform" in i and "happiness" in i for i in items), "Fig 2 does not claim ComParE is more uniform"
    assert [r["agrees"] for r in rows] == ["yes", "yes", "yes", "yes"]
    # a flat ComParE happy example: no clear lean either way, so 'pattern absent' stays unclear
    flat = fake_weights({("wav2vec2", "happiness"): HIGH, ("wav2vec2", "anger"): LOW,
                         ("compare", "happiness"): FLAT, ("compare", "anger"): FLAT}, datasets=("d1",), n=1)
    assert em.example_checks(flat)[1]["agrees"] == "unclear"
    assert all(has_ci(r["this_run"]) for r in rows)
    flipped = fake_weights({("wav2vec2", "happiness"): LOW, ("wav2vec2", "anger"): HIGH,
                            ("compare", "happiness"): HIGH, ("compare", "anger"): LOW}, datasets=("d1",), n=1)
    assert [r["agrees"] for r in em.example_checks(flipped)] == ["no", "no", "no", "no"]
    stand_in = em.example_checks(weights, stand_in=True, dataset="d1")  # ComParE happy: LOW, absent pattern
    assert [r["agrees"] for r in stand_in] == ["n/a", "yes", "n/a", "n/a"]
    assert [("stand-in" in r.get("dataset", "")) for r in stand_in] == [True, False, True, True]


def table1_like(model_accepted, dataset_accepted):
    rows = [dict(family="model vs model", accepted=a, paper_accepted=None) for a in model_accepted]
    rows += [dict(family="datasets (compare)", accepted=a, paper_accepted=True) for a in dataset_accepted]
    return pd.DataFrame(rows)


def test_table1_checks_decide_takeaway_iv_by_a_ci():
    robust = em.table1_checks(table1_like([True] * 12, [True] * 3 + [False] * 21))
    assert verdict_of(robust, "Fig 4 (iv)")["agrees"] == "yes"
    assert verdict_of(robust, "model-vs-model")["this_run"] == "12/12" and verdict_of(robust, "dataset-vs")["this_run"] == "3/24"
    reverse = em.table1_checks(table1_like([False] * 12, [True] * 24))
    assert verdict_of(reverse, "Fig 4 (iv)")["agrees"] == "no"
    close = em.table1_checks(table1_like([True, False] * 6, [True, False] * 12))
    assert verdict_of(close, "Fig 4 (iv)")["agrees"] == "unclear"
    assert verdict_of(close, "Table I cells")["this_run"] == "12/24 agree"
    one_corpus = em.table1_checks(table1_like([True] * 4, []))
    assert verdict_of(one_corpus, "Fig 4 (iv)")["agrees"] == "n/a"
    stand_in = em.table1_checks(table1_like([True] * 12, [False] * 24), stand_in=True, dataset="a, b")
    assert all(r["agrees"] == "n/a" and "stand-in" in r["dataset"] for r in stand_in)


def test_paper_vs_run_rows_pass_the_verdict_rules(tmp_path, monkeypatch):
    from helpers import plotting

    weights = fake_weights(paper_like_profiles(), datasets=("d1", "d2"))
    examples = weights[(weights.dataset == "d1") & weights.utterance.isin(["happiness0", "anger0"])]
    table1 = em.cramer_table(weights, ["d1", "d2"], replicates=50, seed=0)
    uar = pd.DataFrame([dict(dataset="d1", model=m, uar=0.5) for m in em.MODELS])
    gt = pd.DataFrame({"mean_rank": [1.5, 4.0], "share_rank1": [0.5, 0.1]}, index=["compare", "wav2vec2"])
    picks = {"happiness": "happiness0", "anger": "anger0"}
    monkeypatch.setattr(plotting, "FIGURES_DIR", tmp_path, raising=False)
    for stand_in in (False, True):
        rows = em.paper_vs_run_rows(weights, examples, table1, uar, ["d1", "d2"], stand_in, picks, gt, "band", 4)
        assert verdicts.problems(pd.DataFrame(rows).fillna({"dataset": "d1, d2"})) == []
        assert {r["basis"] for r in rows} <= set(verdicts.BASES)
        truth = verdict_of(rows, "ground truth")
        assert truth["basis"] == "by construction" and truth["dataset"].startswith("band") and "component 4" in truth["note"]
        assert ("stand-in" in truth["dataset"]) == stand_in
        assert verdict_of(rows, "wav2vec2 example weights, anger")["basis"] == "paper figure (read by eye)"
        scored = [r for r in rows if r["agrees"] in ("yes", "no")]
        if stand_in:
            assert all("wav2vec2" not in r["item"] and "Fig 3b" not in r["item"] for r in scored)
        else:
            assert len(scored) >= 8
    assert len(em.paper_vs_run_rows(weights, examples, table1, uar, ["d1", "d2"], True, picks)) == len(rows) - 1


def test_band_summary_means_and_sds():
    weights = fake_weights({("compare", "anger"): LOW}, datasets=("d1",), n=4, noise=0.0)
    summary = em.band_summary(weights)
    assert len(summary) == 8
    np.testing.assert_allclose(summary.sort_values("component")["mean"], LOW)
    assert (summary.sd == 0).all() and (summary.n == 4).all()


def test_balanced_speakers_keeps_both_genders():
    table = pd.DataFrame({"speaker": list("abcdef"), "gender": ["male"] * 3 + ["female"] * 3})
    kept = em.balanced_speakers(table, 4)
    assert sorted(kept.speaker) == ["a", "b", "d", "e"]
    assert len(em.balanced_speakers(table, 0)) == 6


@pytest.mark.shared
@pytest.mark.notebook
def test_notebook_runs_on_the_emodb_subset(emodb_subset_dir, tmp_path):
    from helpers import reproduce

    # override values are YAML scalars (as on the command line): '""' is the empty string
    overrides = {"dataset": "emodb", "data_dir": str(emodb_subset_dir), "shift_datasets": "auto", "gt_dataset": '""',
                 "max_speakers": 0, "example_happy": "10b01Fa", "example_angry": "11b03Wa"}
    results = reproduce.run(["hjuler2025"], profile="smoke", overrides=overrides, output_dir=tmp_path,
                            figures_dir=tmp_path / "fig", progress=False, echo=lambda *_: None)
    assert results[0].status == "ok", results[0].error
    out = tmp_path / "fig" / "hjuler2025"
    uar = pd.read_csv(out / "table2_loso_uar.csv")
    assert set(uar.dataset) == {"emodb"} and (uar.speakers == 4).all() and uar.uar.between(0, 1).all()
    assert (uar.files > 100).all()
    compare_uar = uar.set_index("model").uar["compare"]
    assert compare_uar > 0.4  # ComParE on real speech beats chance (0.25) across speakers
    assert set(pd.read_csv(out / "fig2_example_happy.csv").utterance) == {"10b01Fa"}
    assert set(pd.read_csv(out / "fig3_example_angry.csv").utterance) == {"11b03Wa"}
    table1 = pd.read_csv(out / "table1_cramer.csv")
    assert set(table1.family) == {"model vs model"} and (table1.statistic >= 0).all()
    weights = pd.read_csv(out / "table3_weights.csv")
    assert set(weights.dataset) == {"emodb"} and set(weights.component) == set(range(1, 9))
    assert weights.weight.abs().max() > 0
    comparison = pd.read_csv(out / "paper_vs_run.csv")
    assert comparison.dataset.iloc[0].startswith("emodb")


def test_moved_band_table_plants_the_cue_in_the_requested_band(tmp_path):
    import soundfile as sf

    table = em.moved_band_table(3100, 3600, max_speakers=2, root=tmp_path / "moved")
    assert table.speaker.nunique() == 2 and set(table.emotion) == set(em.EMOTIONS)
    emotional = table[table.emotion != "neutral"]
    assert (emotional.cue_lo_hz == 3100).all() and (emotional.cue_hi_hz == 3600).all()
    assert table[table.emotion == "neutral"].cue_lo_hz.isna().all()
    assert table.utterance.is_unique and str(tmp_path / "moved") in table.path.iloc[0]
    # the angry file differs from its neutral twin only inside the band
    angry = emotional[emotional.emotion == "anger"].iloc[0]
    twin = table[(table.emotion == "neutral") & (table.speaker == angry["speaker"]) & (table["take"] == angry["take"])].iloc[0]
    diff = sf.read(angry.path)[0] - sf.read(twin.path)[0]
    power = np.abs(np.fft.rfft(diff)) ** 2
    freqs = np.fft.rfftfreq(len(diff), 1 / 16000)
    inside = (freqs >= 3000) & (freqs <= 3700)
    assert power[inside].sum() > 0.95 * power.sum()


def fake_iemocap(root, labels):
    """A tiny IEMOCAP-shaped folder: one dialog per speaker, one utterance per label code."""
    import soundfile as sf

    for speaker in ("Ses01F", "Ses01M"):
        dialog = f"{speaker}_impro01"
        wav_dir = root / "iemocap" / "Session1" / "sentences" / "wav" / dialog
        eval_dir = root / "iemocap" / "Session1" / "dialog" / "EmoEvaluation"
        wav_dir.mkdir(parents=True, exist_ok=True)
        eval_dir.mkdir(parents=True, exist_ok=True)
        lines = []
        for k, code in enumerate(labels):
            utt = f"{dialog}_{speaker[-1]}{k:03d}"
            sf.write(wav_dir / f"{utt}.wav", np.zeros(1600, dtype=np.float32), 16000)
            lines.append(f"[{k}.0000 - {k}.5000]\t{utt}\t{code}\t[2.5000, 2.5000, 2.5000]")
        (eval_dir / f"{dialog}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.filterwarnings("ignore")  # a 14-file IEMOCAP is incomplete on purpose
def test_iemocap_excited_stays_apart_unless_merged(tmp_path):
    fake_iemocap(tmp_path, ["neu", "ang", "hap", "exc", "exc", "sad", "fru"])
    apart = em.load_table("iemocap", data_dir=tmp_path)
    # the paper profile (default): four classes, "excited" dropped, "hap" alone is happiness
    assert sorted(apart.label) == sorted(["neu", "ang", "hap", "sad"] * 2), "excited must not be merged by default"
    assert (apart[apart.emotion == "happiness"].label == "hap").all()
    assert apart.attrs["report"]["excluded"].get("exc") == 4
    merged = em.load_table("iemocap", data_dir=tmp_path, merge_excited=True)
    # merged on request: the two "exc" files of each speaker join happiness
    assert merged.emotion.value_counts()["happiness"] == 6 and (merged.label == "exc").sum() == 4
    assert em.emotion_map_for("iemocap") == {"exc": None} and em.emotion_map_for("iemocap", merge_excited=True) is None
    assert em.emotion_map_for("emodb") is None and em.emotion_map_for("synthetic") is None


def test_deep_arm_is_named_by_its_model_and_ge2e_stays_a_stand_in():
    assert em.arm_title("ge2e").startswith("deep-embedding SVC (ge2e (pretrained")
    assert "wav2vec2" not in em.arm_title("ge2e")
    assert em.arm_title("tiny-wav2vec2") == "wav2vec2-SVC (tiny-wav2vec2 (random-init stand-in))"
    paper_model = "audeering/wav2vec2-large-robust-12-ft-emotion-msp-dim"
    assert em.arm_title(paper_model) == f"wav2vec2-SVC ({paper_model})"
    assert em.arm_stand_in(paper_model) is None  # the paper's model is scored
    label = em.arm_stand_in("ge2e")
    assert "stand-in" in label and "pretrained" in label  # pretrained, but not the paper's model
    rows = em.takeaway_checks(fake_weights(paper_like_profiles()), stand_in=label, dataset="d1")
    about_arm = [r for r in rows if not r["item"].endswith("(compare)")]
    assert about_arm and all(r["agrees"] == "n/a" for r in about_arm)
    assert all(r["dataset"] == f"d1 (deep arm {label})" for r in about_arm)
    assert all(r["note"].startswith(f"the deep arm is {label}, not the paper's wav2vec2 model") for r in about_arm)
    assert "random-init" not in " ".join(r["note"] for r in about_arm)
