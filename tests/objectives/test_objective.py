"""What the `Objective` base owns: compile defaults and the one rule for `loss=`, the networks in
the config, and what the tools ask of every objective."""

import warnings

import keras
import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras import pretrain
from rs3l_keras.backbones import fused
from rs3l_keras.data import windowing
from rs3l_keras.objectives.global_forecaster import NUM_FEATURES as GLOBAL_FEATURES


def _series(**kwargs):
    return rs3l.RNNBackbone(input_dim=1, hidden_dim=4, **kwargs)


def _text(bidirectional=False):
    return rs3l.RNNBackbone(vocabulary_size=12, hidden_dim=4, bidirectional=bidirectional)


def test_compile_defaults_and_the_loss_rule():
    lm = rs3l.LanguageModel(_text(), sequence_length=8)
    lm.compile()
    assert float(lm.optimizer.learning_rate) == pytest.approx(2e-3) and lm.optimizer.global_clipnorm == 1.0
    lm.compile(loss="sparse_categorical_crossentropy")  # a per-token loss replaces the default
    assert lm.loss == "sparse_categorical_crossentropy"
    encoder = rs3l.ContrastiveEncoder(_series())
    encoder.compile()
    assert float(encoder.optimizer.learning_rate) == pytest.approx(1e-3)
    for model in (encoder, rs3l.CPC(_series(), sequence_length=8), rs3l.Forecaster(_series(), horizon=2)):
        with pytest.raises(ValueError, match=r"trains with its own loss \(.+\): `compile` takes no `loss`"):
            model.compile(loss="mse")
        model.compile(loss=None)  # None is the objective's own loss (a replayed compile config)


def test_the_base_serialises_the_networks_and_the_tokenizer_only_for_text():
    config = rs3l.SequenceAutoencoder(_series(), code_dim=2).get_config()
    assert config["backbone"]["class_name"] == "RNNBackbone" and "tokenizer" not in config
    tokenizer = rs3l.CharTokenizer.fit("abcdefg")
    config = rs3l.Seq2Seq(
        rs3l.RNNBackbone(tokenizer.vocabulary_size, hidden_dim=4, bidirectional=True), tokenizer
    ).get_config()
    assert config["encoder"]["class_name"] == "RNNBackbone" and config["tokenizer"] is not None
    gan = rs3l.RecurrentGAN(_series())
    again = rs3l.RecurrentGAN.from_config(gan.get_config())
    assert again.generator.get_config() == gan.generator.get_config()


def test_every_text_objective_answers_the_pretraining_driver():
    for name, cls in pretrain.TEXT_OBJECTIVES.items():
        assert cls.pretrain_name == name and cls.headline_metric.startswith("heldout_")
        assert len(cls.train_metric) == 2 and cls.headline_tolerance != (0.0, 0.0)
    model = pretrain.build_text_model("seq2seq", rs3l.CharTokenizer.fit("abc"), hidden_dim=4, sequence_length=9)
    assert model.backbone.bidirectional and model.sequence_length == 9
    with pytest.raises(NotImplementedError):
        rs3l.CPC(_series()).heldout_report("text")


def test_one_fused_switch_for_the_stack_and_the_decoders():
    assert fused.describe(_series(fused=False)).endswith("(fused=False)")
    backbone = _series(fused=False, cell="gru")
    assert rs3l.RNNBackbone.from_config(backbone.get_config()).fused is False
    decoder = rs3l.Forecaster(backbone, horizon=2).decoder_rnn
    assert isinstance(decoder, keras.layers.GRU) and decoder.fused is False
    with pytest.raises(ValueError, match=r"`fused` must be one of \['auto', True, False\], received 'yes'"):
        _series(fused="yes")


def test_pad_ids_right_pads_with_zeros():
    batch = windowing.pad_ids([np.array([3, 4, 5]), np.array([6]), np.array([], "int32")])
    np.testing.assert_array_equal(batch, [[3, 4, 5], [6, 0, 0], [0, 0, 0]])
    assert batch.dtype == np.int32 and windowing.pad_ids([np.array([], "int32")]).shape == (1, 1)


def _seq2seq(**kwargs):
    tokenizer = rs3l.CharTokenizer.fit("abcdefg")
    encoder = rs3l.RNNBackbone(tokenizer.vocabulary_size, hidden_dim=4, bidirectional=True)
    return rs3l.Seq2Seq(encoder, tokenizer, **kwargs)


def _vae(**kwargs):
    tokenizer = rs3l.CharTokenizer.fit("abcdefg")
    return rs3l.SequenceVAE(rs3l.RNNBackbone(tokenizer.vocabulary_size, hidden_dim=4), tokenizer, **kwargs)


RENAMED = [  # (old name, build with a length keyword)
    ("max_length", _seq2seq),
    ("max_length", _vae),
    ("max_length", lambda **kw: rs3l.CPC(_series(), **kw)),
    ("max_length", lambda **kw: rs3l.finetune(_text(), head="classification", num_classes=2, **kw)),
    ("context_length", lambda **kw: rs3l.Forecaster(_series(), horizon=2, **kw)),
    (
        "context_length",
        lambda **kw: rs3l.GlobalForecaster(rs3l.RNNBackbone(input_dim=GLOBAL_FEATURES, hidden_dim=4), horizon=2, **kw),
    ),
    ("window_length", lambda **kw: rs3l.SequenceAutoencoder(_series(), code_dim=2, **kw)),
]


@pytest.mark.parametrize("old, build", RENAMED, ids=lambda v: v if isinstance(v, str) else "")
def test_input_length_has_one_name_and_the_old_keyword_still_works_with_a_warning(old, build):
    model = build(sequence_length=11)
    assert model.sequence_length == 11 and model.get_config()["sequence_length"] == 11 and old not in model.get_config()
    with pytest.warns(DeprecationWarning, match=f"`{old}` is deprecated and will be removed: use `sequence_length`"):
        legacy = build(**{old: 7})
    assert legacy.sequence_length == 7
    with pytest.warns(
        DeprecationWarning, match=rf"`{type(legacy).__name__}\.{old}` is deprecated.+`\.sequence_length`"
    ):
        assert getattr(legacy, old) == 7
    with pytest.raises(TypeError, match=f"`{old}` is the old name of `sequence_length`: pass only `sequence_length`"):
        build(**{old: 7, "sequence_length": 9})
    config = {k: v for k, v in legacy.get_config().items() if k != "sequence_length"}
    config[old] = 5  # a config saved before the rename loads without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert type(legacy).from_config(config).sequence_length == 5


def test_renamed_keywords_of_methods_and_the_pretraining_driver():
    series = np.sin(np.arange(60, dtype="float32") / 3)[:, None]
    model = rs3l.Forecaster(_series(), horizon=2, sequence_length=8)
    model.compile()
    model.fit(series, epochs=1, verbose=0)
    expected = model.forecast(series, sequence_length=6)["mean"]
    with pytest.warns(DeprecationWarning, match="`context_length` is deprecated.+use `sequence_length`"):
        np.testing.assert_array_equal(model.forecast(series, context_length=6)["mean"], expected)
    with pytest.raises(TypeError, match="forecast\\(\\) got an unexpected keyword argument 'context_len'"):
        model.forecast(series, context_len=6)
    with pytest.warns(DeprecationWarning, match="`context_length` is deprecated"):
        assert rs3l.ForecastStreamer(model, context_length=6).sequence_length == 6
    tokenizer = rs3l.CharTokenizer.fit("abc")
    with pytest.warns(DeprecationWarning, match="`max_length` is deprecated"):
        vae = pretrain.build_text_model("sequence-vae", tokenizer, hidden_dim=4, max_length=9)
    assert vae.sequence_length == 9
    # None: each objective's own pretraining length (LM windows 128, seq2seq/VAE lines 64).
    assert pretrain.build_text_model("language-model", tokenizer, hidden_dim=4).sequence_length == 128
    assert pretrain.build_text_model("seq2seq", tokenizer, hidden_dim=4).sequence_length == 64
