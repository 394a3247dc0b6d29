"""Training callbacks: non-finite guards, crash-safe backups and exact resumption.

Built on Keras' own callbacks; what they add is that nothing is ever half-written or
overwritten by non-finite weights. (Data order on resume: `Objective.fit` keys each epoch's
shuffle on the epoch number, so a resumed run replays it.)
"""

import json
import logging
import math
import os
import pathlib
import tempfile

import keras
import numpy as np

from rs3l_keras.distribute import chief_writes, model_is_chief

logger = logging.getLogger("rs3l_keras")


class NonFiniteLossError(RuntimeError):
    """Training produced a NaN or infinite loss."""


def weights_are_finite(model):
    return all(np.isfinite(keras.ops.convert_to_numpy(w)).all() for w in model.weights)


def atomic_save_weights(model, path):
    """`model.save_weights(path)` through a temporary file in the same folder + rename."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".weights.h5")
    os.close(fd)
    try:
        model.save_weights(tmp, overwrite=True)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops training at the first non-finite loss with an error naming the step.

    Unlike `keras.callbacks.TerminateOnNaN`, it raises at once, so no epoch-end callback
    (checkpoints, backups) runs after the loss went bad: the last good checkpoint stays.
    """

    def __init__(self, monitor="loss"):
        super().__init__()
        self.monitor = monitor
        self._epoch = 0
        self._step = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        value = (logs or {}).get(self.monitor)
        if value is not None and not math.isfinite(float(value)):
            self.model.stop_training = True
            raise NonFiniteLossError(
                f"Non-finite {self.monitor} ({float(value)}) at epoch {self._epoch + 1}, batch "
                f"{batch + 1} (step {self._step} of this run); training stopped and no checkpoint "
                "was written after it. Lower the learning rate or check the data."
            )


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` whose backups survive a SIGKILL at any moment.

    Each backup is `epoch-<n>.weights.h5` (model and optimizer state), written through a
    temporary file and renamed; then `training_metadata.json`, which names it, is replaced
    the same way. A kill at any point leaves the metadata pointing at a complete file.
    Non-finite weights are never backed up. Across several workers `backup_dir` must be a
    folder they all read: the chief writes and removes it, every worker restores from it.
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__(backup_dir, save_freq=save_freq, delete_checkpoint=delete_checkpoint)

    def _load_model(self):
        meta_path = pathlib.Path(self._training_metadata_path)
        if not meta_path.exists():
            return
        metadata = json.loads(meta_path.read_text())
        if not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        self.model.load_weights(pathlib.Path(self.backup_dir) / metadata["weights"])
        self.model._initial_epoch = metadata["epoch"]
        logger.info("Resumed from %s at epoch %d.", self.backup_dir, metadata["epoch"])

    def _save_model(self):
        if not weights_are_finite(self.model):
            logger.warning("Weights are not finite at epoch %d: backup not written.", self._current_epoch)
            return
        with chief_writes(self.backup_dir, self.model) as backup:  # other workers: a scratch folder
            name = f"epoch-{self._current_epoch}.weights.h5"
            atomic_save_weights(self.model, backup / name)
            metadata = {"epoch": self._current_epoch, "batch": self._last_batch_seen, "weights": name}
            fd, tmp = tempfile.mkstemp(dir=backup, prefix=".training_metadata.")
            with os.fdopen(fd, "w") as f:
                json.dump(metadata, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, backup / pathlib.Path(self._training_metadata_path).name)
            for old in backup.glob("epoch-*.weights.h5"):
                if old.name != name:
                    old.unlink()

    def on_train_end(self, logs=None):
        if model_is_chief(self.model):  # the backup is shared: only its writer removes it
            super().on_train_end(logs)


class AtomicModelCheckpoint(keras.callbacks.Callback):
    """Writes `last.weights.h5` every epoch and `best.weights.h5` when `monitor` improves,
    each atomically and only when all weights are finite. Across several workers only the
    chief writes `directory`; the others write to scratch folders (see `chief_writes`)."""

    def __init__(self, directory, monitor="loss", mode="min"):
        super().__init__()
        self.directory = pathlib.Path(directory)
        self.monitor = monitor
        self.sign = 1.0 if mode == "min" else -1.0
        self.best = math.inf

    def on_epoch_end(self, epoch, logs=None):
        if not weights_are_finite(self.model):
            logger.warning("Weights are not finite after epoch %d: checkpoints kept as they were.", epoch + 1)
            return
        with chief_writes(self.directory, self.model) as directory:  # other workers: a scratch folder
            atomic_save_weights(self.model, directory / "last.weights.h5")
            value = (logs or {}).get(self.monitor)
            if value is not None and math.isfinite(float(value)) and self.sign * float(value) < self.best:
                self.best = self.sign * float(value)
                atomic_save_weights(self.model, directory / "best.weights.h5")
