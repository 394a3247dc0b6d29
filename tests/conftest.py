import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(1234)
    yield
    # Keras' global state reset after every test; without its default full `gc.collect()`
    # (about 1 s per test over the half-million objects TensorFlow and the presets hold:
    # Python's own collector still frees cycles as it goes).
    keras.backend.clear_session(free_memory=False)


@pytest.fixture(scope="session")
def shakespeare_train():
    from rs3l_keras.data import shakespeare

    return shakespeare.load_text("train")


@pytest.fixture(scope="session")
def shakespeare_test():
    from rs3l_keras.data import shakespeare

    return shakespeare.load_text("test")


@pytest.fixture(scope="session")
def char_tokenizer(shakespeare_train):
    from rs3l_keras.data.tokenizers import CharTokenizer

    return CharTokenizer.fit(shakespeare_train)


def make_tiny_lm(text, hidden_dim=16):
    from rs3l_keras import CharTokenizer, LanguageModel, RNNBackbone

    tok = CharTokenizer.fit(text)
    lm = LanguageModel(
        RNNBackbone(tok.vocabulary_size, hidden_dim=hidden_dim, embedding_dim=8), tok, sequence_length=32
    )
    lm.compile()
    lm.fit(text, epochs=1, batch_size=8, steps_per_epoch=3, verbose=0)
    return lm


@pytest.fixture(scope="session")
def _tiny_preset_template(tmp_path_factory, shakespeare_test):
    """Trained and saved once per session; no test changes the model (they damage, re-save
    or re-pin their own copy of the folder)."""
    from rs3l_keras import save_pretrained

    keras.utils.set_random_seed(1234)
    lm = make_tiny_lm(shakespeare_test[:20_000])
    path = save_pretrained(
        lm,
        tmp_path_factory.mktemp("template") / "tiny-lm",
        metrics={"heldout_bits_per_char": np.float32(5.5)},
        metadata={"description": "test preset", "recipe": "pytest"},
    )
    return lm, path


@pytest.fixture
def tiny_preset(_tiny_preset_template, tmp_path):
    """`(model, path)`: a tiny saved LM preset, the folder a fresh copy for each test."""
    import shutil

    lm, template = _tiny_preset_template
    return lm, shutil.copytree(template, tmp_path / "tiny-lm")
