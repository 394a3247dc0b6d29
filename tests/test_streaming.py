"""`Streamer`: step-by-step outputs equal the full-sequence model's on every prefix, and the
exported one-step graph (state as explicit inputs/outputs) reproduces them in its runtime; anomaly
scores and rolling forecasts streamed equal their batch versions."""

import keras
import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras import AnomalyStreamer, ContrastiveEncoder, ForecastStreamer, RNNBackbone, Streamer

TEXT = "To be, or not to be, that is the question"
ATOL = 2e-5  # float32: the step path and the scan sum in different orders
RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def lm():
    return rs3l.load_pretrained("lstm-lm-small")


@pytest.fixture(scope="module")
def cpc():
    return rs3l.load_pretrained("gru-cpc-ucr")


def _prefix_outputs(predict, x):
    """The full model run on every prefix x[:, :t+1]: (batch, time, …)."""
    return np.stack([keras.ops.convert_to_numpy(predict(x[:, : t + 1])) for t in range(x.shape[1])], axis=1)


def test_language_model_next_token_probabilities(lm):
    ids = lm.tokenizer.encode(TEXT)
    full = keras.ops.convert_to_numpy(keras.ops.softmax(lm.predict_on_batch(ids[None])))[0]
    stream = Streamer(lm)
    probs = stream.feed(TEXT)
    assert probs.shape == (len(ids), lm.backbone.vocabulary_size) and stream.steps == len(ids)
    np.testing.assert_allclose(probs, full, atol=ATOL)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    stream.reset()
    np.testing.assert_allclose(stream.step(int(ids[0])), full[0], atol=ATOL)  # reset: a new stream
    np.testing.assert_allclose(stream.step("o"), full[1], atol=ATOL)  # a one-token string


def test_language_model_with_tied_embeddings():
    from rs3l_keras import CharTokenizer, LanguageModel

    tok = CharTokenizer.fit([TEXT])
    lm = LanguageModel(RNNBackbone(tok.vocabulary_size, hidden_dim=16, embedding_dim=8), tok, tie_embeddings=True)
    ids = tok.encode(TEXT)
    full = keras.ops.convert_to_numpy(keras.ops.softmax(lm.predict_on_batch(ids[None])))[0]
    np.testing.assert_allclose(Streamer(lm).feed(TEXT), full, atol=ATOL)


def test_batched_streams_are_independent(lm):
    texts = ["HAMLET. To be", "OPHELIA. My l"]
    ids = np.stack([lm.tokenizer.encode(t) for t in texts])
    full = keras.ops.convert_to_numpy(keras.ops.softmax(lm.predict_on_batch(ids)))
    np.testing.assert_allclose(Streamer(lm, batch_size=2).feed(ids), full, atol=ATOL)


def test_cpc_embedding_of_every_prefix(cpc):
    x = RNG.normal(size=(2, 20, 1)).astype("float32")
    expected = _prefix_outputs(lambda p: cpc.predict_on_batch(p)["embedding"], x)
    np.testing.assert_allclose(Streamer(cpc, batch_size=2).feed(x), expected, atol=ATOL)
    one = Streamer(cpc)
    np.testing.assert_allclose([one.step(float(v)) for v in x[0, :, 0]], expected[0], atol=ATOL)


@pytest.mark.parametrize(
    "pooling,head,kwargs",
    [
        ("last", "classification", {"num_classes": 3}),
        ("mean", "regression", {}),
        ("max", "forecast", {"horizon": 4}),
        ("last+mean+max", "classification", {"num_classes": 2}),
    ],
)
def test_finetuned_series_model_on_every_prefix(cpc, pooling, head, kwargs):
    model = rs3l.finetune(cpc, head=head, pooling=pooling, **kwargs)  # keeps CPC's causal Conv1D encoder
    x = RNG.normal(size=(2, 16, 1)).astype("float32") * 3 + 1
    expected = _prefix_outputs(model.predict_on_batch, x)
    np.testing.assert_allclose(Streamer(model, batch_size=2).feed(x), expected, atol=ATOL * 10)


def test_text_classifier_and_tagger(lm):
    ids = lm.tokenizer.encode(TEXT)[None, :20]
    for model in (
        rs3l.finetune(lm, head="classification", num_classes=2, sequence_length=64),
        rs3l.finetune(lm, head="tagging", num_classes=4, sequence_length=64),
    ):
        if model.head == "tagging":
            expected = keras.ops.convert_to_numpy(model.predict_on_batch(ids))  # one output per token already
        else:
            expected = _prefix_outputs(model.predict_on_batch, ids)
        np.testing.assert_allclose(Streamer(model).feed(ids[0]), expected[0], atol=ATOL)


def test_contrastive_two_layer_lstm_last_mean_and_autoencoder_code():
    model = ContrastiveEncoder(RNNBackbone(input_dim=2, num_layers=2, hidden_dim=8), pooling="last_mean")
    model.adapt([RNG.normal(size=(30, 2)) * 2 + 5])
    x = (RNG.normal(size=(1, 12, 2)) * 2 + 5).astype("float32")
    expected = _prefix_outputs(lambda p: model.predict_on_batch(p)["embedding"], x)
    np.testing.assert_allclose(Streamer(model).feed(x[0]), expected[0], atol=ATOL)
    autoencoder = rs3l.load_pretrained("lstm-autoencoder-ucr135")
    x = RNG.normal(size=(1, 10, 1)).astype("float32")
    expected = _prefix_outputs(lambda p: autoencoder.predict_on_batch(p)["code"], x)
    np.testing.assert_allclose(Streamer(autoencoder).feed(x[0, :, 0]), expected[0], atol=ATOL)


def test_refusals_name_the_argument(cpc, lm):
    with pytest.raises(ValueError, match="pools with attention"):
        Streamer(rs3l.finetune(cpc, head="regression", pooling="attention"))
    with pytest.raises(ValueError, match="bidirectional=True"):
        Streamer(RNNBackbone(input_dim=1, hidden_dim=4, bidirectional=True))
    with pytest.raises(TypeError, match="received Forecaster"):
        Streamer("lstm-forecaster-elecdemand")
    with pytest.raises(ValueError, match="`batch_size` must be a positive int, received 0"):
        Streamer(cpc, batch_size=0)
    stream = Streamer(cpc)
    with pytest.raises(ValueError, match=r"one observation of 1 channels.*received shape \(1, 3\)"):
        stream.step(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="holds 2 streams; this Streamer has batch_size=1"):
        stream.step(np.zeros((2, 1)))
    with pytest.raises(ValueError, match="must be one token, received 'ab'"):
        Streamer(lm).step("ab")


@pytest.mark.parametrize("case,fmt", [("lm", "onnx"), ("lm", "litert"), ("series", "tf_saved_model")])
def test_exported_step_graph_streams_in_its_runtime(lm, cpc, tmp_path, case, fmt):
    pytest.importorskip({"onnx": "onnxruntime", "litert": "ai_edge_litert"}.get(fmt, "tensorflow"))
    if keras.backend.backend() != "tensorflow":
        pytest.skip("ONNX and LiteRT export run on the TensorFlow backend")
    if case == "lm":
        stream, steps = Streamer(lm), lm.tokenizer.encode(TEXT[:24])
        inputs, output = [np.array([token], "int32") for token in steps], "probabilities"
    else:  # causal Conv1D windows, a GRU state and running mean pooling, all as graph inputs
        stream = Streamer(rs3l.finetune(cpc, head="classification", num_classes=3, pooling="mean"))
        steps = RNG.normal(size=(16, 1)).astype("float32")
        inputs, output = [x[None] for x in steps], "output"
    path = stream.export(tmp_path / "step", format=fmt)
    run = rs3l.load_exported(path)
    assert (path / "tokenizer.json").exists() == (case == "lm")
    names = stream.state_names()
    states = dict(zip(names, stream.initial_states(1)))
    got = []
    for x in inputs:
        out = run(x=x, **states)
        states = {name: out[f"next_{name}"] for name in names}
        got.append(out[output][0])
    np.testing.assert_allclose(np.stack(got), stream.feed(steps), atol=ATOL)


def test_anomaly_scores_streamed_equal_the_batch_scores():
    model = rs3l.load_pretrained("lstm-autoencoder-ucr135")
    from rs3l_keras.data.series import load_kdd_tsad_135

    series = load_kdd_tsad_135("test")[0][:90]
    stream = AnomalyStreamer(model)
    emitted = [stream.step(x) for x in series]
    span = model.anomaly_smoothing  # a step's score is final `delay` steps later: the window, then the smoothing
    assert stream.delay == model.sequence_length - 1 + span - span // 2 - 1
    assert emitted[: stream.delay] == [None] * stream.delay and emitted[stream.delay] is not None
    scores = np.concatenate([[s for s in emitted if s is not None], stream.flush()])
    np.testing.assert_allclose(scores, model.anomaly_scores(series), rtol=1e-4, atol=1e-6)
    for smoothing in (1, 4, 7):  # any span streams as `anomaly_scores(series, smoothing=...)`
        stream = AnomalyStreamer(model, smoothing=smoothing)
        scores = [s for s in (stream.step(x) for x in series) if s is not None] + list(stream.flush())
        np.testing.assert_allclose(scores, model.anomaly_scores(series, smoothing=smoothing), rtol=1e-4, atol=1e-6)
    short = AnomalyStreamer(model)  # a stream shorter than one window is scored as one window
    assert [short.step(x) for x in series[:10]] == [None] * 10
    np.testing.assert_allclose(short.flush(), model.anomaly_scores(series[:10]), rtol=1e-4, atol=1e-6)
    with pytest.raises(TypeError, match="must be a SequenceAutoencoder"):
        AnomalyStreamer("gru-cpc-ucr")
    with pytest.raises(ValueError, match="`smoothing` must be a positive int, received 0"):
        AnomalyStreamer(model, smoothing=0)
    # Window-normalised scores stream the same way (each window z-scored over its own steps).
    windowed = rs3l.SequenceAutoencoder(
        rs3l.RNNBackbone(input_dim=1, hidden_dim=8), code_dim=4, sequence_length=16, normalization="per_series"
    )
    windowed.adapt(series)
    stream = AnomalyStreamer(windowed)
    scores = [s for s in (stream.step(x) for x in series) if s is not None] + list(stream.flush())
    np.testing.assert_allclose(scores, windowed.anomaly_scores(series), rtol=1e-4, atol=1e-6)


def test_rolling_forecast_equals_forecast_of_the_window():
    model = rs3l.load_pretrained("lstm-forecaster-elecdemand")
    series = (RNG.normal(size=(model.season + 2, model.input_dim)) + 20).astype("float32")
    covariates = RNG.normal(size=(model.horizon, len(model.covariate_channels))).astype("float32")
    stream = ForecastStreamer(model, sequence_length=model.season)
    outputs = [stream.step(x, covariates=covariates) for x in series]
    assert outputs[: model.season - 1] == [None] * (model.season - 1)
    expected = model.forecast(series[-model.season :], covariates=covariates, sequence_length=model.season)
    np.testing.assert_allclose(outputs[-1]["mean"], expected["mean"], rtol=1e-6)


def test_reset_reads_weights_changed_after_the_streamer_was_made():
    model = ContrastiveEncoder(RNNBackbone(input_dim=1, cell="gru", hidden_dim=4))
    model.adapt([RNG.normal(size=(20, 1))])
    x = RNG.normal(size=(1, 5, 1)).astype("float32")
    stream = Streamer(model)
    stream.feed(x[0])
    model.set_weights([w * 1.5 for w in model.get_weights()])  # e.g. a fine-tuning epoch
    stream.reset()
    expected = keras.ops.convert_to_numpy(model.predict_on_batch(x)["embedding"])[0]
    np.testing.assert_allclose(stream.feed(x[0])[-1], expected, atol=ATOL)
