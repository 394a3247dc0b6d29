"""Collection rules for the whole suite, the package's doctests included (`tests/conftest.py`
holds the fixtures)."""

import pytest

#: Doctests that need the TensorFlow backend: `rs3l.export` converts through TensorFlow and
#: refuses other backends (`tests/test_backends.py` checks the refusal).
TENSORFLOW_DOCTESTS = ("rs3l_keras.serving.export",)


def pytest_collection_modifyitems(config, items):
    import keras

    if keras.backend.backend() == "tensorflow":
        return
    skip = pytest.mark.skip(reason="rs3l.export converts through TensorFlow (KERAS_BACKEND=tensorflow)")
    for item in items:
        if isinstance(item, pytest.DoctestItem) and item.name in TENSORFLOW_DOCTESTS:
            item.add_marker(skip)
