"""hjuler2025 notebook pieces: Table I assembly, Fig 4 summary, claim checks, and the EmoDB-subset run."""
import numpy as np
import pandas as pd
import pytest

from helpers import emolime_models as em


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


def test_takeaways_hold_on_a_paper_like_pattern_and_fail_on_the_reverse():
    rows = em.takeaway_checks(fake_weights(paper_like_profiles()))
    assert [r["agrees"] for r in rows] == ["yes", "yes", "yes", "yes"]
    reverse = {k: v[::-1] for k, v in paper_like_profiles().items()}
    rows = em.takeaway_checks(fake_weights(reverse))
    assert rows[0]["agrees"] == "no" and rows[3]["agrees"] == "no"


def test_example_checks_read_figs_2_and_3():
    weights = fake_weights({("wav2vec2", "happiness"): HIGH, ("wav2vec2", "anger"): LOW,
                            ("compare", "happiness"): FLAT, ("compare", "anger"): FLAT}, datasets=("d1",), n=1)
    rows = em.example_checks(weights)
    assert [r["agrees"] for r in rows] == ["yes", "yes", "yes", "yes"]
    assert rows[0]["this_run"].startswith("high") and rows[2]["this_run"].startswith("low")


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

    overrides = {"dataset": "emodb", "data_dir": str(emodb_subset_dir), "shift_datasets": "auto", "gt_dataset": "",
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
