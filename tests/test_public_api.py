"""Public names are declared once, in their subpackage's (or module's) `__all__`, and the
package re-exports exactly those."""

import importlib

import rs3l_keras as rs3l

PARTS = ("backbones", "data", "finetune", "objectives", "serving", "streaming", "zoo")


def test_every_public_name_is_declared_once_and_reexported():
    declared = {}
    for part in PARTS:
        module = importlib.import_module(f"rs3l_keras.{part}")
        for name in module.__all__:
            assert name not in declared, f"{name} is declared in both {declared[name]} and {part}"
            declared[name] = part
            assert getattr(rs3l, name) is getattr(module, name), name
    assert sorted(rs3l.__all__) == sorted([*declared, "__version__", "datasets"])
    assert len(rs3l.__all__) == len(set(rs3l.__all__))
    namespace = {}
    exec("from rs3l_keras import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(rs3l.__all__)
