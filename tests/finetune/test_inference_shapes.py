"""Inference traces once per shape bucket: `embed` of series of many lengths and `score_text`
of texts of any length reuse one compiled function per bucket, and give the vectors/scores
of the unpadded path."""

import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras.finetune import probes

ROOT = pathlib.Path(__file__).parents[2]


def _series(lengths, seed=0, channels=1):
    rng = np.random.default_rng(seed)
    return [np.cumsum(rng.normal(size=(int(n), channels)), 0).astype("float32") * 3 + 1 for n in lengths]


def _alone(model, series, pooling):
    """Each series embedded on its own (batch of one, no padding): the reference."""
    encoder = model.encoder_model()
    rows = []
    for s in series:
        out = encoder.predict_on_batch(s[None])
        seq = np.asarray(out["sequence_output"])
        rows.append(probes._pool(seq, np.asarray(out["pooled_output"]), np.ones(seq.shape[:2], bool), pooling)[0])
    return np.stack(rows)


def test_bucket_sizes():
    assert [probes.bucket_length(n) for n in (1, 8, 9, 13, 17, 25, 33, 100, 129, 257)] == [
        8,
        8,
        12,
        16,
        24,
        32,
        48,
        128,
        192,
        384,
    ]
    assert [probes.bucket_rows(n, 256) for n in (1, 3, 5, 200, 256, 300)] == [1, 4, 8, 256, 256, 300]


@pytest.mark.parametrize(
    "make",
    [
        lambda: rs3l.ContrastiveEncoder(
            rs3l.RNNBackbone(input_dim=1, cell="gru", hidden_dim=8), projection_dim=4, normalization="per_series"
        ),
        lambda: rs3l.CPC(rs3l.RNNBackbone(input_dim=6, hidden_dim=8), channels=1, prediction_steps=2),
        lambda: rs3l.ContrastiveEncoder(rs3l.RNNBackbone(input_dim=1, hidden_dim=6, bidirectional=True)),
    ],
    ids=["gru-per-series", "cpc-causal-conv", "bidirectional"],
)
def test_bucketed_embed_equals_each_series_alone(make):
    model = make()
    train = _series([40] * 8)
    model.compile()
    model.fit(train, epochs=1, batch_size=4, verbose=0)  # fits the dataset normaliser too
    series = _series(range(17, 41), seed=1)  # 24 lengths, buckets 24, 32 and 48
    for pooling in ("last", "last+mean+max"):
        np.testing.assert_allclose(
            rs3l.embed(model, series, pooling=pooling, batch_size=16, verbose=0),
            _alone(model, series, pooling),
            rtol=1e-4,
            atol=1e-5,
        )


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="counts TensorFlow traces")
def test_embed_traces_once_per_bucket_on_tensorflow():
    model = rs3l.ContrastiveEncoder(rs3l.RNNBackbone(input_dim=1, cell="gru", hidden_dim=8), normalization="per_series")
    rs3l.embed(model, _series(range(17, 25)), batch_size=8, verbose=0)  # 8 lengths, one bucket (24)
    encoder = probes._encoder(model)
    assert encoder.predict_function.experimental_get_tracing_count() == 1
    # Other lengths in the same bucket, 6 rows padded to the same 8: the same shape.
    rs3l.embed(model, _series([18, 19, 23, 18, 20, 22], seed=2), batch_size=8, verbose=0)
    assert encoder.predict_function.experimental_get_tracing_count() == 1


JAX_COUNT = r"""
import json
import numpy as np
from jax._src import dispatch, monitoring
import rs3l_keras as rs3l
compiles = [0]
monitoring.register_event_duration_secs_listener(
    lambda event, duration, **kw: compiles.__setitem__(0, compiles[0] + (event == dispatch.BACKEND_COMPILE_EVENT)))
rng = np.random.default_rng(0)
series = lambda lengths: [rng.normal(size=(n, 1)).astype("float32") for n in lengths]
model = rs3l.ContrastiveEncoder(rs3l.RNNBackbone(input_dim=1, cell="gru", hidden_dim=8), normalization="per_series")
counts = {}
rs3l.embed(model, series(range(17, 25)), batch_size=8, verbose=0)
before = compiles[0]
rs3l.embed(model, series([18, 20, 22, 24, 17, 19]), batch_size=8, verbose=0)
counts["embed_new_lengths_same_bucket"] = compiles[0] - before
tok = rs3l.CharTokenizer.fit("abcdefghij klmnop")
lm = rs3l.LanguageModel(rs3l.RNNBackbone(tok.vocabulary_size, hidden_dim=8, embedding_dim=4), tok, sequence_length=16)
lm.compile()
lm.score_text("abc defg hij " * 40, window=32, context=8, batch_size=8, verbose=0)
before = compiles[0]
lm.score_text("kl mnop abc " * 57, window=32, context=8, batch_size=8, verbose=0)
counts["score_text_other_length"] = compiles[0] - before
print("RESULT " + json.dumps(counts))
"""


@pytest.mark.skipif(not rs3l.backends._installed("jax"), reason="jax is not installed")
def test_no_new_compilation_for_new_lengths_on_jax():
    """JAX compiles every new input shape: new lengths in a known bucket (embed) and a text
    of another length (score_text, its last batch padded) compile nothing new."""
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "CUDA_VISIBLE_DEVICES": ""}
    env.pop("RS3L_BACKEND", None)
    done = subprocess.run(
        [sys.executable, "-c", JAX_COUNT], env=env, capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-3000:]
    counts = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))[7:])
    assert counts == {"embed_new_lengths_same_bucket": 0, "score_text_other_length": 0}


def test_score_text_with_a_padded_last_batch_matches_one_window_at_a_time(shakespeare_test):
    from tests.conftest import make_tiny_lm

    lm = make_tiny_lm(shakespeare_test[:5000])
    text = shakespeare_test[5000:7000]
    batched = lm.score_text(text, window=64, context=16, batch_size=7, verbose=0)
    single = lm.score_text(text, window=64, context=16, batch_size=1, verbose=0)
    assert batched["num_chars"] == single["num_chars"] == len(text) - 1
    assert batched["bits_per_char"] == pytest.approx(single["bits_per_char"], rel=1e-5)
