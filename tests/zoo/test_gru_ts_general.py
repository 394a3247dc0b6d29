"""`gru-ts-general`: verified on load, embeds series of any scale, length and channel count, its
recorded probe accuracies reproduce, and its pretraining data never touched a held-out set."""

import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras.data import ucr_archive
from rs3l_keras.evaluation import ucr

NAME = "gru-ts-general"


@pytest.fixture(scope="module")
def preset():
    return rs3l.load_pretrained(NAME), rs3l.preset_metadata(NAME)


@pytest.mark.parametrize("name", ["ECG200", "GunPoint"])  # a held-out benchmark set, an earlier probe set
def test_recorded_probe_accuracy_reproduces_with_the_default_call(preset, name):
    model, meta = preset
    recorded = meta["results_table"][name]
    result = rs3l.linear_probe(model, ucr.load(name, "train"), ucr.load(name, "test"), verbose=0)
    assert result["pooling"] == meta["pooling"] == "last+mean+max"  # the default protocol is the recorded one
    assert result["accuracy"] == pytest.approx(recorded["probe_accuracy"][0], abs=0.01)
    assert meta["metrics"][f"{name}_probe_accuracy"] == pytest.approx(np.mean(recorded["probe_accuracy"]))


def test_recorded_table_is_the_benchmark_summary(preset):
    _, meta = preset
    table = meta["results_table"]
    results = {
        n: {
            "pretrained": table[n]["probe_accuracy"],
            "untrained": table[n]["untrained"],
            "raw_lr": table[n]["raw_lr"],
            "published": {c: table[n][c] for c in ucr.PUBLISHED_COLUMNS},
        }
        for n in ucr_archive.BENCHMARK_SETS
    }
    summary = ucr.summary(results)
    assert meta["metrics"]["mean_probe_accuracy_12"] == pytest.approx(summary["mean"]["pretrained"])
    assert meta["metrics"]["beats_1nn_dtw_of_12"] == summary["beats_1nn_dtw"]
    assert meta["metrics"]["gain_over_untrained_points_12"] == pytest.approx(summary["gain_over_untrained_points"])
    assert all(len(table[n]["probe_accuracy"]) == len(table[n]["untrained"]) == 3 for n in results)


def test_pretraining_data_left_every_held_out_set_out(preset):
    _, meta = preset
    data = meta["data"]
    assert not set(data["sets"]) & set(ucr_archive.excluded_from_pretraining())
    assert set(data["excluded"]) == set(ucr_archive.excluded_from_pretraining())
    assert data["num_series"] == sum(ucr_archive.ARCHIVE[n][0] for n in data["sets"])  # TRAIN sizes only
    assert meta["training"]["selection"]["chosen"] == meta["training"]["objective"]


def test_embeds_series_of_any_scale_length_and_channel_count(preset):
    model, _ = preset
    rng = np.random.default_rng(0)
    series = [rng.normal(size=n).astype("float32") for n in (9, 150, 1200)]
    z = rs3l.embed(model, series, verbose=0)
    assert z.shape == (3, 3 * model.backbone.hidden_dim) and np.isfinite(z).all()
    scaled = rs3l.embed(model, [1000.0 * s + 5.0 for s in series], verbose=0)
    np.testing.assert_allclose(scaled, z, atol=1e-3)  # per-series z-scores inside the model
    both = rs3l.embed(model, [np.stack([s, -s], axis=1) for s in series], verbose=0)  # channel by channel
    assert both.shape == (3, 2 * z.shape[1])
    np.testing.assert_allclose(both[:, : z.shape[1]], z, atol=1e-4)
