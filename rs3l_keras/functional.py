"""`TorchSafeSetattr`: lets a functional `keras.Model` subclass assign its layers before
calling `super().__init__(inputs, outputs)` on the torch backend too.

On torch, every Keras layer is a `torch.nn.Module`, and torch refuses to store a module on
an object whose `Module.__init__` has not run yet ("cannot assign module before
Module.__init__() call"). The functional graph already tracks every layer it uses, so
until the model is initialised (and for properties) attributes are set plainly, as
KerasHub's `Backbone` does.
"""

import keras


class TorchSafeSetattr:
    """Mixin placed before `keras.Model` in the bases of a functional subclass."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        object.__setattr__(self, "_rs3l_initialized", True)

    def __setattr__(self, name, value):
        if keras.config.backend() == "torch" and (
            not self.__dict__.get("_rs3l_initialized") or isinstance(getattr(type(self), name, None), property)
        ):
            return object.__setattr__(self, name, value)
        return super().__setattr__(name, value)
