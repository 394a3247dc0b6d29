import numpy as np
import pytest
import tensorflow as tf

from rs3l_keras import LanguageModel, RNNBackbone
from tests.helpers import run_config_round_trip, run_learns, run_saving_round_trip


@pytest.fixture
def lm(char_tokenizer):
    backbone = RNNBackbone(char_tokenizer.vocabulary_size, hidden_dim=64, embedding_dim=32)
    model = LanguageModel(backbone, char_tokenizer, sequence_length=64)
    model.compile()
    return model


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_learns_on_real_shakespeare(char_tokenizer, shakespeare_train, cell):
    import keras

    backbone = RNNBackbone(char_tokenizer.vocabulary_size, cell=cell, hidden_dim=128, embedding_dim=32)
    model = LanguageModel(backbone, char_tokenizer, sequence_length=64)
    model.compile(optimizer=keras.optimizers.Adam(1e-2, global_clipnorm=1.0))
    first, last = run_learns(model, shakespeare_train[:300_000], steps=40, batch_size=32, min_drop=1.2)
    assert first > 4.0  # ~ln(vocabulary): the model starts at chance


def test_metrics_perplexity_and_bits(lm, shakespeare_test):
    result = lm.evaluate(shakespeare_test[:20_000], batch_size=16, return_dict=True, verbose=0)
    assert result["perplexity"] == pytest.approx(np.exp(result["loss"]), rel=1e-4)
    assert result["bits_per_token"] == pytest.approx(result["loss"] / np.log(2), rel=1e-4)


def test_config_and_keras_round_trip(lm, char_tokenizer, tmp_path):
    lm.fit("to be or not to be, that is the question. " * 40, epochs=1, verbose=0)
    clone = run_config_round_trip(lm)
    assert clone.sequence_length == 64
    ids = char_tokenizer.encode("HAMLET\nTo be, or not to be")[None]
    loaded = run_saving_round_trip(lm, ids, tmp_path)
    assert loaded.tokenizer == char_tokenizer
    assert loaded.compiled
    assert loaded.generate("To be", max_length=30, seed=3) == lm.generate("To be", max_length=30, seed=3)


def test_accepts_raw_strings_token_ids_and_tf_data(lm, char_tokenizer, shakespeare_test):
    text = shakespeare_test[:6000]
    ids = char_tokenizer.encode(text)
    for x in (
        text,
        text.split("\n\n"),
        ids,
        ids[: 65 * 20].reshape(20, 65),
        tf.data.Dataset.from_tensor_slices(text.split("\n\n")),
        tf.data.Dataset.from_tensor_slices(ids[: 65 * 20].reshape(20, 65)),
    ):
        history = lm.fit(x, epochs=1, batch_size=8, verbose=0)
        assert np.isfinite(history.history["loss"][0])
    logits = lm.predict(["ROMEO.", "JULIET. Ay me"], verbose=0)
    assert logits.shape == (2, 13, char_tokenizer.vocabulary_size)


def test_score_text_bits_per_char(lm, shakespeare_test):
    result = lm.score_text(shakespeare_test[:3000], window=128, context=32)
    assert result["num_chars"] == 2999
    assert 5.0 < result["bits_per_char"] < 7.5  # untrained: about log2(vocabulary)
    assert result["perplexity"] == pytest.approx(2 ** result["bits_per_token"], rel=1e-6)


def test_generate_is_seeded_and_respects_top_k(lm):
    a = lm.generate("ROMEO.\n", max_length=50, temperature=0.8, top_k=20, seed=0)
    b = lm.generate("ROMEO.\n", max_length=50, temperature=0.8, top_k=20, seed=0)
    c = lm.generate("ROMEO.\n", max_length=50, temperature=0.8, top_k=20, seed=1)
    assert a == b != c and a.startswith("ROMEO.\n") and len(a) <= len("ROMEO.\n") + 50
    assert "\ufffd" not in a  # <unk> and other special tokens are never sampled
    greedy = lm.generate("ROMEO.\n", max_length=20, top_k=1, seed=5)
    assert greedy == lm.generate("ROMEO.\n", max_length=20, top_k=1, seed=6)
    assert lm.generate(["a", "b"], max_length=3, seed=0)[0].startswith("a")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"prompt": ""}, "`prompt` must be a non-empty str"),
        ({"prompt": 3}, "`prompt` must be a non-empty str"),
        ({"max_length": 0}, "`max_length` must be a positive int, received 0"),
        ({"temperature": 0.0}, "`temperature` must be a finite float > 0, received 0.0"),
        ({"temperature": float("nan")}, "`temperature` must be a finite float > 0"),
        ({"top_k": 0}, "`top_k` must be a positive int or None, received 0"),
    ],
)
def test_generate_bad_arguments(lm, kwargs, match):
    args = {"prompt": "ROMEO.", "max_length": 5, **kwargs}
    with pytest.raises(ValueError, match=match):
        lm.generate(**args)


def test_construction_errors(char_tokenizer):
    with pytest.raises(ValueError, match="must have bidirectional=False"):
        LanguageModel(RNNBackbone(char_tokenizer.vocabulary_size, bidirectional=True, hidden_dim=4))
    with pytest.raises(ValueError, match="token backbone"):
        LanguageModel(RNNBackbone(input_dim=3, hidden_dim=4))
    with pytest.raises(ValueError, match="must match"):
        LanguageModel(RNNBackbone(10, hidden_dim=4), char_tokenizer)
    with pytest.raises(ValueError, match="`sequence_length` must be a positive int"):
        LanguageModel(RNNBackbone(10, hidden_dim=4), sequence_length=0)
    with pytest.raises(TypeError, match="`backbone` must be an RNNBackbone"):
        LanguageModel("lstm")
    lm = LanguageModel(RNNBackbone(10, hidden_dim=4))
    with pytest.raises(ValueError, match="needs a tokenizer"):
        lm.generate("abc")
    with pytest.raises(ValueError, match="builds its own targets"):
        lm.fit(np.ones((2, 5), "int32"), np.ones((2, 5), "int32"))


def test_empty_batches_and_out_of_vocabulary_ids_are_refused(lm, char_tokenizer):
    with pytest.raises(ValueError, match=r"`x` is a batch of size 0 \(shape \(0, 5\)\)"):
        lm.predict(np.zeros((0, 5), "int32"))
    with pytest.raises(ValueError, match="`x` is an empty list"):
        lm.predict([])
    with pytest.raises(ValueError, match=rf"must lie in \[0, {char_tokenizer.vocabulary_size}\)"):
        lm.fit(np.array([[1, 2, 3, 500]]), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="`batch_size` must be a positive int, received -2"):
        lm.fit("some text " * 30, batch_size=-2, epochs=1, verbose=0)


def test_tied_embeddings_share_one_matrix_learn_and_round_trip(shakespeare_train, tmp_path):
    import keras

    from rs3l_keras.data.tokenizers import SentencePieceTokenizer

    tok = SentencePieceTokenizer.fit([shakespeare_train[:300_000]], max_tokens=600)
    backbone = RNNBackbone(tok.vocabulary_size, hidden_dim=64, embedding_dim=32, dropout=0.1)
    model = LanguageModel(backbone, tok, sequence_length=32, tie_embeddings=True)
    paths = [w.path for w in model.weights]
    assert "token_embedding/embeddings" in paths and "lm_projection/kernel" in paths and "lm_head/bias" in paths
    assert not any(p.startswith("lm_head/kernel") for p in paths)  # the output layer reuses the embedding
    assert (
        model.count_params()
        < LanguageModel(
            RNNBackbone(tok.vocabulary_size, hidden_dim=64, embedding_dim=32), tok, sequence_length=32
        ).count_params()
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-2, global_clipnorm=1.0))
    run_learns(model, shakespeare_train[:200_000], steps=30, batch_size=16, min_drop=0.8)
    clone = run_config_round_trip(model)
    assert clone.tie_embeddings is True
    loaded = run_saving_round_trip(model, tok.encode("HAMLET. To be, or not")[None], tmp_path)
    assert loaded.generate("To be", max_length=10, seed=1) == model.generate("To be", max_length=10, seed=1)
    with pytest.raises(ValueError, match="`tie_embeddings` must be True or False"):
        LanguageModel(backbone, tok, tie_embeddings="yes")
