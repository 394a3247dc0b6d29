"""What the `Objective` base owns: compile defaults and the one rule for `loss=`, the networks in
the config, and what the tools ask of every objective."""

import keras
import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras import pretrain
from rs3l_keras.backbones import fused
from rs3l_keras.data import windowing


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
    for model in (encoder, rs3l.CPC(_series(), max_length=8), rs3l.Forecaster(_series(), horizon=2)):
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
    model = pretrain.build_text_model("seq2seq", rs3l.CharTokenizer.fit("abc"), hidden_dim=4, max_length=9)
    assert model.backbone.bidirectional and model.max_length == 9
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
