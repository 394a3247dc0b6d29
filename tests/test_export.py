"""`rs3l.export`: each artifact loaded in its own runtime (TensorFlow, onnxruntime, the LiteRT
interpreter) reproduces the Keras outputs of real presets (about 40 s: nine conversions)."""

import json

import keras
import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras import serving

pytest.importorskip("onnxruntime")
pytest.importorskip("tf2onnx")
pytest.importorskip("ai_edge_litert")
if keras.backend.backend() != "tensorflow":
    pytest.skip("ONNX (tf2onnx) and LiteRT export run on the TensorFlow backend", allow_module_level=True)

# Max |runtime − Keras| allowed, relative to the output's scale (float32 kernels differ in
# summation order; measured: ≤ 2e-6 on normalised outputs, ≤ 1e-9 relative on MW).
RTOL, ATOL = 1e-5, 2e-5
RNG = np.random.default_rng(0)


def _forecaster_case():
    model = rs3l.load_pretrained("lstm-forecaster-elecdemand")

    def inputs(batch, length):
        history = (RNG.normal(size=(batch, length, model.input_dim)) + 20).astype("float32")
        history[-1, :3] = np.nan  # left padding
        future = RNG.normal(size=(batch, model.horizon, model.input_dim)).astype("float32")
        future[:, :, model.target_channels] = np.nan
        return {"history": history, "future": future}

    return model, inputs


def _encoder_case():
    model = rs3l.load_pretrained("gru-cpc-ucr").encoder_model()
    return model, lambda batch, length: {"features": RNG.normal(size=(batch, length, 1)).astype("float32")}


def _classifier_case():
    model = rs3l.finetune("lstm-lm-small", head="classification", num_classes=3, sequence_length=64)
    texts = ["To be, or not to be", "Exeunt", "O Romeo, Romeo", "wherefore art thou"]
    return model, lambda batch, length: {"token_ids": model.prepare_inputs(texts[:batch])[:, :length]}


CASES = {"forecaster": _forecaster_case, "series_encoder": _encoder_case, "text_classifier": _classifier_case}


@pytest.fixture(scope="module")
def models():
    return {name: make() for name, make in CASES.items()}


@pytest.fixture(scope="module")
def exports(models, tmp_path_factory):
    root = tmp_path_factory.mktemp("exports")
    return {
        (name, fmt): rs3l.export(model, root / f"{name}-{fmt}", format=fmt)
        for name, (model, _) in models.items()
        for fmt in serving.FORMATS
    }


@pytest.mark.parametrize("fmt", sorted(serving.FORMATS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_runtime_matches_keras(models, exports, case, fmt):
    model, make_inputs = models[case]
    served = serving.serving_model(model)
    run = rs3l.load_exported(exports[case, fmt])
    shapes = [(1, 12), (1, 7)] if fmt == "litert" else [(2, 12), (3, 7)]  # litert: batch 1, any length
    for batch, length in shapes:
        inputs = make_inputs(batch, length)
        args = inputs if len(inputs) > 1 else next(iter(inputs.values()))  # a single input goes bare
        expected = {k: keras.ops.convert_to_numpy(v) for k, v in served(args).items()}
        got = run(**inputs)
        assert sorted(got) == sorted(expected)
        for key in expected:
            assert got[key].shape == expected[key].shape, key
            scale = max(1.0, float(np.abs(expected[key]).max()))
            np.testing.assert_allclose(got[key], expected[key], rtol=RTOL, atol=ATOL * scale, err_msg=key)
    manifest = run.manifest
    assert manifest["format"] == fmt and [o["name"] for o in manifest["outputs"]] == sorted(expected)


def test_forecaster_export_gives_forecast_in_original_units(models):
    model, make_inputs = models["forecaster"]
    inputs = make_inputs(1, 400)
    inputs["history"][0, :3] = 20.0  # one full history, no padding
    served = keras.ops.convert_to_numpy(serving.serving_model(model)(inputs)["mean"])[0]
    covariates = inputs["future"][0][:, model.covariate_channels]
    expected = model.forecast(inputs["history"][0], covariates=covariates, sequence_length=400)["mean"]
    np.testing.assert_allclose(served, expected, rtol=1e-5)


def test_text_export_carries_its_tokenizer(models, exports):
    model, _ = models["text_classifier"]
    path = exports["text_classifier", "onnx"]
    config = json.loads((path / "tokenizer.json").read_text())
    assert keras.saving.deserialize_keras_object(config) == model.tokenizer
    manifest = rs3l.verify_export(path)
    assert "tokenizer.json" in manifest["files"] and "token ids" in manifest["inputs_hold"]
    assert manifest["inputs"] == [{"name": "token_ids", "dtype": "int32", "shape": [None, None]}]
    assert "NaN" in rs3l.verify_export(exports["series_encoder", "onnx"])["inputs_hold"]


def test_altered_artifact_is_refused(models, tmp_path):
    model, _ = models["series_encoder"]
    path = rs3l.export(model, tmp_path / "enc", format="onnx")
    data = bytearray((path / "model.onnx").read_bytes())
    data[-10] ^= 1
    (path / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(rs3l.PresetIntegrityError, match="model.onnx"):
        rs3l.load_exported(path)


def test_replaces_an_export_but_never_another_folder(models, tmp_path):
    model, _ = models["series_encoder"]
    path = rs3l.export(model, tmp_path / "enc", format="tf_saved_model")
    rs3l.export(model, path, format="onnx")
    assert rs3l.verify_export(path)["format"] == "onnx" and not (path / "model").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["enc"]  # no staging folder left behind
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="is not an rs3l export"):
        rs3l.export(model, other, format="onnx")
    with pytest.raises(ValueError, match="`format` must be one of .* received 'tflite'"):
        rs3l.export(model, tmp_path / "x", format="tflite")
    with pytest.raises(ValueError, match="`batch_size` must be a positive int or None, received 0"):
        rs3l.export(model, tmp_path / "x", format="onnx", batch_size=0)
    assert not (tmp_path / "x").exists()
