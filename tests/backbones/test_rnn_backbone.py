import keras
import numpy as np
import pytest

from rs3l_keras.backbones import RNNBackbone
from tests.helpers import run_config_round_trip

CELLS = ["lstm", "gru", "simple"]


def outputs(backbone, x):
    """The backbone's outputs as NumPy (on torch they are tensors that require grad)."""
    return {key: keras.ops.convert_to_numpy(value) for key, value in backbone(x).items()}


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_token_input_shapes_and_config(cell, bidirectional):
    backbone = RNNBackbone(
        vocabulary_size=30,
        cell=cell,
        num_layers=2,
        hidden_dim=8,
        embedding_dim=6,
        bidirectional=bidirectional,
        dropout=0.1,
    )
    out = backbone(np.random.randint(1, 30, (3, 7)).astype("int32"))
    width = 16 if bidirectional else 8
    assert tuple(out["sequence_output"].shape) == (3, 7, width)
    assert tuple(out["pooled_output"].shape) == (3, width)
    assert backbone.output_dim == width
    clone = run_config_round_trip(backbone)
    assert clone.get_config()["cell"] == cell


@pytest.mark.parametrize("cell", CELLS)
def test_feature_input(cell):
    backbone = RNNBackbone(input_dim=4, cell=cell, hidden_dim=5)
    x = np.random.randn(2, 9, 4).astype("float32")
    out = outputs(backbone, x)
    assert tuple(out["sequence_output"].shape) == (2, 9, 5)
    np.testing.assert_allclose(out["pooled_output"], out["sequence_output"][:, -1], rtol=1e-6)
    run_config_round_trip(backbone)


def test_pooled_output_reads_last_non_padding_step():
    backbone = RNNBackbone(vocabulary_size=20, hidden_dim=6)
    ids = np.array([[3, 4, 5, 0, 0], [7, 8, 9, 10, 11]], "int32")
    out = outputs(backbone, ids)
    seq = out["sequence_output"]
    np.testing.assert_allclose(out["pooled_output"][0], seq[0, 2], rtol=1e-6)
    np.testing.assert_allclose(out["pooled_output"][1], seq[1, 4], rtol=1e-6)


def test_bidirectional_pooled_concatenates_forward_last_and_backward_first():
    backbone = RNNBackbone(vocabulary_size=20, hidden_dim=4, bidirectional=True)
    seq_out = outputs(backbone, np.arange(1, 7, dtype="int32")[None])
    seq = seq_out["sequence_output"]
    np.testing.assert_allclose(seq_out["pooled_output"][0, :4], seq[0, -1, :4], rtol=1e-6)
    np.testing.assert_allclose(seq_out["pooled_output"][0, 4:], seq[0, 0, 4:], rtol=1e-6)


@pytest.mark.parametrize("cell", CELLS)
def test_step_matches_full_sequence(cell):
    backbone = RNNBackbone(vocabulary_size=25, cell=cell, num_layers=2, hidden_dim=7)
    ids = np.random.randint(1, 25, (2, 6)).astype("int32")
    full = outputs(backbone, ids)["sequence_output"]
    states = backbone.initial_states(2)
    for t in range(ids.shape[1]):
        out, states = backbone.step(ids[:, t], states)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(out), full[:, t], rtol=1e-5, atol=1e-6)


def test_defaults_stay_cudnn_eligible():
    backbone = RNNBackbone(vocabulary_size=10, cell="gru", num_layers=2)
    for layer in backbone.rnn_layers:
        cfg = layer.get_config()
        assert cfg["activation"] == "tanh" and cfg["recurrent_activation"] == "sigmoid"
        assert cfg["use_bias"] and not cfg["unroll"] and cfg["recurrent_dropout"] == 0
        assert cfg["reset_after"] is True


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "exactly one"),
        ({"vocabulary_size": 10, "input_dim": 3}, "exactly one"),
        ({"vocabulary_size": 10, "cell": "transformer"}, "`cell` must be one of"),
        ({"vocabulary_size": 0}, "`vocabulary_size` must be a positive int"),
        ({"vocabulary_size": 10, "hidden_dim": -4}, "`hidden_dim` must be a positive int"),
        ({"vocabulary_size": 10, "num_layers": 1.5}, "`num_layers` must be a positive int"),
        ({"vocabulary_size": 10, "dropout": 1.0}, r"`dropout` must be a float in \[0, 1\)"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RNNBackbone(**kwargs)


def test_bidirectional_cannot_step():
    backbone = RNNBackbone(vocabulary_size=10, bidirectional=True, hidden_dim=4)
    with pytest.raises(ValueError, match="unidirectional"):
        backbone.initial_states(1)
