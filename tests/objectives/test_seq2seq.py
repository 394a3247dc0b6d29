import keras
import numpy as np
import pytest

from rs3l_keras import RNNBackbone, Seq2Seq
from rs3l_keras.data import noise
from rs3l_keras.data.tokenizers import MASK_ID
from rs3l_keras.metrics import character_error_rate, edit_distance
from tests.helpers import run_config_round_trip, run_learns, run_saving_round_trip


@pytest.fixture
def lines(shakespeare_train):
    return noise.text_lines(shakespeare_train[:200_000])


def make(char_tokenizer, attention="luong", task="denoise", cell="lstm"):
    encoder = RNNBackbone(
        char_tokenizer.vocabulary_size, cell=cell, hidden_dim=32, embedding_dim=16, bidirectional=True
    )
    model = Seq2Seq(encoder, char_tokenizer, attention=attention, task=task, sequence_length=48)
    model.compile()
    return model


def test_corruption_drops_swaps_and_masks_deterministically(char_tokenizer, lines):
    ids = [char_tokenizer.encode(line) for line in lines[:2000]]
    rng = lambda: np.random.default_rng(3)  # noqa: E731
    a = [noise.corrupt_ids(x, rng(), 0.05, 0.05, 0.03) for x in ids[:50]]
    b = [noise.corrupt_ids(x, rng(), 0.05, 0.05, 0.03) for x in ids[:50]]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    corrupted = noise.copy_baseline_ids(ids)
    changed = np.mean([not np.array_equal(c, x) for c, x in zip(corrupted, ids)])
    assert changed > 0.5
    assert any(MASK_ID in c for c in corrupted)
    shorter = np.mean([len(c) < len(x) for c, x in zip(corrupted, ids)])
    assert shorter > 0.3  # drops and spans shorten lines


def test_pipeline_shapes_and_teacher_forcing(char_tokenizer, lines):
    model = make(char_tokenizer)
    x, y = next(iter(model.make_dataset(lines[:64], batch_size=8)))
    dec, out = x["decoder_token_ids"].numpy(), y.numpy()
    assert (dec[:, 0] == 2).all()  # <bos>
    real = out[:, :-1] > 4  # real tokens (not padding or <eos>)
    np.testing.assert_array_equal(dec[:, 1:][real], out[:, :-1][real])  # inputs = targets shifted
    assert ((out == 3).sum(axis=1) == 1).all()  # exactly one <eos> per target


@pytest.mark.parametrize("attention", [None, "luong", "bahdanau"])
def test_learns_on_real_lines(char_tokenizer, lines, attention):
    model = make(char_tokenizer, attention=attention)
    model.compile(optimizer=keras.optimizers.Adam(1e-2, global_clipnorm=1.0))
    run_learns(model, lines, steps=40, batch_size=32, min_drop=1.0)


def test_next_line_task(char_tokenizer, lines):
    model = make(char_tokenizer, task="next-line", cell="gru")
    sources, targets = model.make_pairs(lines[:10])
    assert len(sources) == 9
    np.testing.assert_array_equal(targets[0], char_tokenizer.encode(lines[1])[:48])
    history = model.fit(lines[:200], epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_round_trips_and_decoding(char_tokenizer, lines, tmp_path):
    model = make(char_tokenizer)
    model.fit(lines[:400], epochs=1, batch_size=32, verbose=0)
    run_config_round_trip(model)
    x, _ = next(iter(model.make_dataset(lines[:4], batch_size=4)))
    loaded = run_saving_round_trip(model, {k: v.numpy() for k, v in x.items()}, tmp_path)
    source = "To be, or not to be"
    greedy = model.generate(source, max_length=30)
    assert isinstance(greedy, str) and greedy == loaded.generate(source, max_length=30)
    assert model.generate(source, max_length=30, beam_width=1) == greedy
    beam = model.generate(source, max_length=30, beam_width=4, length_penalty=0.6)
    assert isinstance(beam, str) and len(beam) <= 30
    assert model.generate([source, "Ay me"], max_length=5)[1] == model.generate("Ay me", max_length=5)


def test_cer_and_edit_distance():
    assert edit_distance("kitten", "sitting") == 3
    assert character_error_rate(["abc", "xy"], ["abd", "xy"]) == pytest.approx(1 / 5)
    with pytest.raises(ValueError, match="equal length"):
        character_error_rate(["a"], [])


def test_construction_and_decoding_errors(char_tokenizer):
    encoder = RNNBackbone(char_tokenizer.vocabulary_size, hidden_dim=4)
    with pytest.raises(ValueError, match="`attention` must be one of"):
        Seq2Seq(encoder, char_tokenizer, attention="transformer")
    with pytest.raises(ValueError, match="`task` must be one of"):
        Seq2Seq(encoder, char_tokenizer, task="translate")
    with pytest.raises(ValueError, match="must be a token backbone"):
        Seq2Seq(RNNBackbone(input_dim=3, hidden_dim=4))
    model = Seq2Seq(encoder, char_tokenizer)
    with pytest.raises(ValueError, match="`beam_width` must be an int >= 1, received 0"):
        model.generate("abc", beam_width=0)
    with pytest.raises(ValueError, match="`length_penalty` must be a number >= 0"):
        model.generate("abc", length_penalty=-1)
    with pytest.raises(ValueError, match="same length"):
        model.make_pairs(["a", "b"], ["a"])


def test_predict_on_raw_strings_and_tf_data(char_tokenizer, lines):
    model = make(char_tokenizer)
    logits = model.predict(["To be", "or not"], verbose=0)
    assert logits.shape == (2, 7, char_tokenizer.vocabulary_size)  # <bos> + 6 steps
    x, _ = next(iter(model.make_dataset(lines[:8], batch_size=8)))
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensors(x)
    assert model.predict(ds, verbose=0).shape[0] == 8
