"""`rs3l_keras.plot` draws real results into non-empty PNG files and refuses bad input."""

import json
import pathlib

import keras
import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras import metrics, plot
from rs3l_keras.data import series

ROOT = pathlib.Path(__file__).resolve().parents[1]
DPI = plot.DPI


def check_png(path, figure):
    """A PNG of the figure's size in pixels, with more than one colour in it."""
    from matplotlib.image import imread

    path = pathlib.Path(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000
    pixels = imread(path)
    width, height = figure.get_size_inches() * DPI
    assert pixels.shape[:2] == (round(height), round(width))
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 10
    assert not list(path.parent.glob("*.tmp")), "a temporary file was left behind"


@pytest.fixture(scope="module")
def airline_run():
    """A small Forecaster trained for 4 epochs on the airline data (validation: the last
    four years before the forecast origin), and its 12-month forecast."""
    keras.utils.set_random_seed(0)
    y = series.load_airline()
    model = rs3l.Forecaster(
        rs3l.RNNBackbone(input_dim=1, hidden_dim=8),
        horizon=12,
        sequence_length=24,
        season=12,
        instance_normalization="location",
    )
    model.compile()
    history = model.fit(y[:-12], validation_data=y[-60:-12], epochs=4, batch_size=16, verbose=0)
    return y[:, 0], history, model.forecast(y[:-12], interval=0.9)


def test_training_curves_from_a_real_fit(tmp_path, airline_run):
    _, history, _ = airline_run
    out = tmp_path / "curves" / "training_curves.png"  # the folder does not exist yet
    figure = plot.training_curves(history, path=out, title="airline Forecaster")
    check_png(out, figure)
    panels = {ax.get_title(): ax for ax in figure.axes if ax.get_visible()}
    assert set(panels) == {"loss", "mae"}
    loss = panels["loss"].get_lines()
    assert [line.get_label() for line in loss] == ["train", "validation"]
    np.testing.assert_allclose(loss[0].get_ydata(), history.history["loss"])
    np.testing.assert_array_equal(loss[0].get_xdata(), [1, 2, 3, 4])
    # the same curves from the dict and from per-epoch rows; one metric on request
    rows = [{k: v[i] for k, v in history.history.items()} for i in range(4)]
    only = plot.training_curves(rows, metrics=["mae"])
    assert [ax.get_title() for ax in only.axes if ax.get_visible()] == ["mae"]
    np.testing.assert_allclose(only.axes[0].get_lines()[1].get_ydata(), history.history["val_mae"])


def test_forecast_continues_the_time_axis(tmp_path, airline_run):
    y, _, out = airline_run
    figure = plot.forecast(
        y[-48:-12],
        out["mean"],
        truth=y[-12:],
        lower=out["lower"],
        upper=out["upper"],
        start=len(y) - 48,
        path=tmp_path / "forecast.png",
        title="airline, 12 months ahead",
    )
    check_png(tmp_path / "forecast.png", figure)
    lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
    np.testing.assert_array_equal(lines["history"].get_xdata(), np.arange(len(y) - 48, len(y) - 12))
    np.testing.assert_array_equal(lines["forecast"].get_xdata(), np.arange(len(y) - 12, len(y)))
    np.testing.assert_allclose(lines["truth"].get_ydata(), y[-12:])
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert "90% interval" in legend
    # a seasonal-naive forecast, no interval, no truth
    naive = metrics.seasonal_naive(y[:-12], 12, season=12)
    figure = plot.forecast(y[:-12], naive)
    check_png(plot.save(figure, tmp_path / "naive.png"), figure)


def test_anomaly_scores_and_reconstructions_of_the_ucr135_preset(tmp_path):
    model = rs3l.load_pretrained("lstm-autoencoder-ucr135")
    full, labels = series.load_kdd_tsad_135("test")
    scores = model.anomaly_scores(full)
    threshold = float(model.threshold.numpy())
    figure = plot.anomaly_scores(
        full, scores, threshold=threshold, anomalies=labels.astype(bool), path=tmp_path / "scores.png", title="UCR 135"
    )
    check_png(tmp_path / "scores.png", figure)
    anomalous = np.flatnonzero(labels)
    first, last = int(anomalous[0]), int(anomalous[-1]) + 1
    assert last - first == len(anomalous)  # one labelled range
    spans = figure.axes[1].patches
    assert len(spans) == 1 and spans[0].get_x() == pytest.approx(first - 0.5)
    # a zoom: ranges index into the slice, `start` keeps the original step numbers on the axis
    lo, hi = first - 200, last + 200
    unscored = np.where(np.arange(hi - lo) < 16, np.nan, scores[lo:hi])  # NaN where not scored
    zoom = plot.anomaly_scores(
        full[lo:hi], unscored, threshold=threshold, anomalies=[(first - lo, last - lo)], start=lo
    )
    assert zoom.axes[0].get_lines()[0].get_xdata()[0] == lo
    check_png(plot.save(zoom, tmp_path / "zoom.png"), zoom)
    # reconstructions of windows around the anomaly and of normal windows
    windows = np.stack([full[s : s + 32] for s in (first - 16, 0, 500, 1000)])
    rec = model.reconstruct(windows)
    figure = plot.reconstructions(windows, rec, n=4, path=tmp_path / "rec.png")
    check_png(tmp_path / "rec.png", figure)
    assert len([ax for ax in figure.axes if ax.get_visible()]) == 4
    np.testing.assert_allclose(figure.axes[0].get_lines()[1].get_ydata(), rec[0, :, 0], rtol=1e-6)


def test_the_autoencoder_presets_own_plot_draws_its_calibrated_threshold(tmp_path, monkeypatch):
    """`rs3l plot lstm-autoencoder-ucr135` (the objective's `plot`): the stored, held-out
    threshold is a dashed line on both score panels, and the title says how it was set."""
    name = "lstm-autoencoder-ucr135"
    meta = rs3l.preset_metadata(name)
    model = rs3l.load_pretrained(name)
    figures, save = {}, plot.save

    def keep(figure, path):
        figures[pathlib.Path(path).name] = figure
        return save(figure, path)

    monkeypatch.setattr(plot, "save", keep)
    model.plot(meta, tmp_path, name)
    threshold = meta["metrics"]["threshold"]
    assert model.anomaly_threshold == pytest.approx(threshold, rel=1e-6)
    for png in ("anomaly_scores.png", "anomaly_scores_zoom.png"):
        lines = {line.get_label(): line for line in figures[png].axes[1].get_lines()}
        line = lines[f"threshold {threshold:.3g}"]
        np.testing.assert_allclose(line.get_ydata(), threshold, rtol=1e-6)
        assert line.get_linestyle() == "--"
        title = "".join(figures[png]._suptitle.get_text().split())  # wrapped to the figure's width
        assert "".join(meta["anomaly_threshold"]["description"].split()) in title


def test_embeddings_pca_of_a_ucr_test_split(tmp_path):
    x, y = series.load_ucr("ItalyPowerDemand", "test")
    z = rs3l.embed("gru-cpc-ucr", x, pooling="last")
    figure = plot.embeddings_pca(z, labels=y, path=tmp_path / "pca.png", title="ItalyPowerDemand")
    check_png(tmp_path / "pca.png", figure)
    ax = figure.axes[0]
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["0", "1"]
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(y)
    assert ax.get_xlabel().startswith("PC1") and ax.get_ylabel().startswith("PC2")
    # d == 1 (a strip) and d == 2 work, string labels and no labels too
    one = plot.embeddings_pca(z[:, :1], labels=np.where(y == 0, "a", "b"))
    assert one.axes[0].get_ylabel() == "" and len(one.axes[0].collections) == 2
    two = plot.embeddings_pca(z[:, :2])
    check_png(plot.save(two, tmp_path / "two.png"), two)


def test_gan_samples_vs_real_sines(tmp_path):
    model = rs3l.load_pretrained("gru-gan-sines")
    real, fake = series.make_sines(200, seed=7), model.sample(200, seed=0)
    figure = plot.samples_vs_real(real, fake, n=5, channel=2, path=tmp_path / "gan.png", title="gru-gan-sines")
    check_png(tmp_path / "gan.png", figure)
    assert len(figure.axes[0].get_lines()) == len(figure.axes[1].get_lines()) == 5
    np.testing.assert_allclose(figure.axes[1].get_lines()[0].get_ydata(), fake[0, :, 2])


def test_label_efficiency_from_the_recorded_benchmark(tmp_path):
    path = ROOT / "benchmarks" / "label_efficiency.json"
    results = json.loads(path.read_text())
    figure = plot.label_efficiency(results, path=tmp_path / "le.png")
    check_png(tmp_path / "le.png", figure)
    arms = sorted({r["arm"] for r in results["runs"]})
    legend = sorted(t.get_text() for t in figure.axes[0].get_legend().get_texts())
    assert legend == sorted(arms + ["majority class"])
    scratch = [r["accuracy"] for r in results["runs"] if r["arm"] == "scratch" and r["labels"] == 100]
    bars = {c.get_label(): c for c in figure.axes[0].containers}  # one errorbar per arm
    assert sorted(bars) == arms
    line = bars["scratch"].lines[0]
    assert line.get_xdata()[0] == 100 and line.get_ydata()[0] == pytest.approx(np.mean(scratch))
    assert len(plot.label_efficiency(str(path)).axes[0].containers) == len(arms)  # a path works too


def test_the_benchmark_protocol_redraws_its_plot_from_the_json(tmp_path, capsys):
    from rs3l_keras.evaluation import reviews

    out = tmp_path / "le.png"
    reviews.main(["--replot", "--output", str(ROOT / "benchmarks" / "label_efficiency.json"), "--plot", str(out)])
    assert out.stat().st_size > 5_000 and "| 100 |" in capsys.readouterr().out


def test_plotting_leaves_pyplot_alone():
    import matplotlib
    import matplotlib.pyplot as plt

    backend, figures = matplotlib.get_backend(), plt.get_fignums()
    plot.forecast(np.arange(10.0), np.arange(3.0))
    assert matplotlib.get_backend() == backend and plt.get_fignums() == figures


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: plot.anomaly_scores(np.zeros(100), np.zeros(90)),
            ValueError,
            "`scores` has length 90 but `series` has length 100",
        ),
        (
            lambda: plot.anomaly_scores(np.zeros(10), np.zeros(10), anomalies=[(5, 12)]),
            ValueError,
            r"`anomalies[0]` = (5, 12) is outside the series: expected 0 <= start < end <= 10",
        ),
        (
            lambda: plot.anomaly_scores(np.zeros(10), np.zeros(10), anomalies=np.zeros(9, bool)),
            ValueError,
            "`anomalies` mask has length 9 but `series` has length 10",
        ),
        (
            lambda: plot.anomaly_scores(np.zeros(10), np.zeros(10), threshold=float("nan")),
            ValueError,
            "`threshold` must be a finite float or None, received nan",
        ),
        (
            lambda: plot.forecast(np.zeros(10), np.zeros(4), truth=np.zeros(5)),
            ValueError,
            "`truth` has length 5 but `prediction` has length 4",
        ),
        (
            lambda: plot.forecast(np.zeros(10), np.zeros(4), lower=np.zeros(4)),
            ValueError,
            "`lower` and `upper` must be given together",
        ),
        (
            lambda: plot.forecast(np.zeros(10), np.zeros((4, 2))),
            ValueError,
            "`prediction` must have shape (t,) or (t, 1), received shape (4, 2)",
        ),
        (lambda: plot.forecast(np.zeros(10), [1.0, float("inf")]), ValueError, "`prediction` has inf at index 1"),
        (
            lambda: plot.training_curves({"loss": [1.0, 0.5], "val_loss": [1.0]}),
            ValueError,
            "`history['val_loss']` has 1 epochs but other metrics have 2",
        ),
        (
            lambda: plot.training_curves({"loss": [1.0]}, metrics=["accuracy"]),
            ValueError,
            "`metrics` ['accuracy'] names no logged metric",
        ),
        (lambda: plot.training_curves("loss"), TypeError, "`history` must be a keras History"),
        (lambda: plot.embeddings_pca(np.zeros((1, 4))), ValueError, "received shape (1, 4)"),
        (
            lambda: plot.embeddings_pca(np.ones((5, 3)), labels=[0, 1]),
            ValueError,
            "`labels` must hold one label per embedding (5)",
        ),
        (
            lambda: plot.reconstructions(np.zeros((3, 20)), np.zeros((3, 21))),
            ValueError,
            "`reconstructed[0]` has shape (21, 1) but `series[0]` has shape (20, 1)",
        ),
        (
            lambda: plot.reconstructions(np.zeros((3, 20)), np.zeros((3, 20)), n=0),
            ValueError,
            "`n` must be a positive int, received 0",
        ),
        (
            lambda: plot.samples_vs_real(np.zeros((3, 20, 2)), np.zeros((3, 20, 2)), channel=2),
            ValueError,
            "`channel` must be an int in [0, 2), received 2",
        ),
        (
            lambda: plot.samples_vs_real(np.zeros((3, 20, 2)), np.zeros((3, 20, 3))),
            ValueError,
            "one channel count, received [2, 3]",
        ),
        (lambda: plot.label_efficiency({"runs": []}), ValueError, "non-empty 'runs' list"),
        (lambda: plot.save(plot.forecast([1.0], [2.0]), "figure.jpg"), ValueError, "`path` must name a .png file"),
        (lambda: plot.save("not a figure", "f.png"), TypeError, "`figure` must be a matplotlib Figure, received str"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)
