"""rs3l_keras: self-supervised learning for recurrent networks, as a Keras 3 model zoo."""

# First: picks the Keras backend (`--backend` of the rs3l command, RS3L_BACKEND) before Keras loads.
from rs3l_keras import backends  # noqa: F401

# isort: split
from rs3l_keras import backend_logs  # noqa: F401  first: Keras without TensorFlow's start-up noise

# isort: split
# The public names: each subpackage's (and module's) `__all__`, re-exported here, not re-listed.
from rs3l_keras import backbones, data, datasets, objectives, serving, streaming, zoo
from rs3l_keras import finetune as _finetune  # bound before its `finetune` function shadows it
from rs3l_keras.backbones import *  # noqa: F403
from rs3l_keras.data import *  # noqa: F403
from rs3l_keras.finetune import *  # noqa: F403
from rs3l_keras.objectives import *  # noqa: F403
from rs3l_keras.serving import *  # noqa: F403
from rs3l_keras.streaming import *  # noqa: F403
from rs3l_keras.version import __version__
from rs3l_keras.zoo import *  # noqa: F403

__all__ = ["__version__", "datasets"]
for _part in (backbones, data, _finetune, objectives, serving, streaming, zoo):
    __all__ += _part.__all__
del _part
