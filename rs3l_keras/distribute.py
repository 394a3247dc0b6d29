"""Data-parallel training on the engines' own distribution APIs.

`distribution_context(name)` returns a context manager under which a model is created,
compiled and fitted; nothing here splits batches or averages gradients by hand:

- `"mirrored"`: `tf.distribute.MirroredStrategy` (TensorFlow backend) over every local GPU,
  or over the logical CPU devices when there is no GPU. One process, one host.
- `"multiworker"`: `tf.distribute.MultiWorkerMirroredStrategy` (TensorFlow backend). Each
  worker runs the same command with its own `TF_CONFIG`; gradients are all-reduced with
  collective ops across hosts.
- `"jax-data-parallel"`: `keras.distribution.DataParallel` over
  `keras.distribution.list_devices()` (JAX backend, one process): parameters replicated,
  every batch sharded along its first axis.
- `"tpu"`: `tf.distribute.TPUStrategy` (TensorFlow backend), resolving the TPU from the
  environment (Colab, Cloud TPU VM). Not tested here: there is no TPU on the test machines.

`batch_size` is always the GLOBAL batch: each of N replicas sees `batch_size / N` examples
per step, and the gradient is that of the mean loss over the whole batch, so the same
command with the same `batch_size` follows the same optimisation path on 1 or N devices
(up to floating-point summation order). Scale `batch_size` (and the learning rate) yourself
when you want to use the extra devices for a bigger batch.

Scaling the same command
------------------------
One host with several GPUs (all visible GPUs become replicas):

    rs3l pretrain --data shakespeare --batch-size 256 --output my-lm/ --distribute mirrored

A cluster of hosts (TensorFlow): start the same command on every host, each with a
`TF_CONFIG` naming all workers and its own index; worker 0 is the chief, the only one that
writes the preset and the checkpoints (the others write to temporary folders that are
deleted, as the TensorFlow multi-worker guide prescribes). `--checkpoint-dir` must be on a
filesystem every worker can read, so that `--resume` restores every worker from it:

    TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]},
                "task": {"type": "worker", "index": 0}}' \\
        rs3l pretrain ... --distribute multiworker          # index 1 on host2

A cluster of hosts (JAX): not supported yet. Keras shards a multi-process `tf.data` input
only when it can read the batch size from the pipeline, and ours (batches of indices mapped
to windows, so that the order replays on resume) hides it; use `multiworker` for clusters.

A Colab or Cloud TPU: `--distribute tpu` (TensorFlow backend, `TPUStrategy`), or
`KERAS_BACKEND=jax ... --distribute jax-data-parallel`, where the TPU cores are the JAX
devices of one host (a Colab TPU). Neither is tested here: the test machines have no TPU.
"""

import contextlib
import functools
import json
import os
import pathlib
import shutil
import tempfile

import keras
import numpy as np

ENGINES = {
    "mirrored": "tensorflow",
    "multiworker": "tensorflow",
    "tpu": "tensorflow",
    "jax-data-parallel": "jax",
}
CHOICES = tuple(ENGINES)


def check_distribute(name):
    """Raises a ValueError naming the problem unless `name` is None or a strategy that the
    current Keras backend runs. Returns `name`."""
    if name is None:
        return None
    if name not in ENGINES:
        raise ValueError(f"`distribute` must be one of {CHOICES} or None, received {name!r}.")
    backend, engine = keras.backend.backend(), ENGINES[name]
    if engine != backend:
        others = [other for other, needs in ENGINES.items() if needs == backend]
        instead = f" or use one of {others} on {backend}" if others else ""
        raise ValueError(
            f"`distribute={name!r}` runs on the {engine} backend, but Keras is using the {backend} "
            f"backend: set KERAS_BACKEND={engine}{instead}."
        )
    return name


def check_global_batch(batch_size, distribution):
    """JAX shards each batch evenly over the devices: under `"jax-data-parallel"` the global
    `batch_size` must be a multiple of their number (TensorFlow strategies split any batch)."""
    if distribution.name == "jax-data-parallel" and batch_size % distribution.num_replicas:
        raise ValueError(
            f"`batch_size` is the global batch and must be a multiple of the "
            f"{distribution.num_replicas} devices of `distribute='jax-data-parallel'`, received "
            f"{batch_size}."
        )


class Distribution:
    """What `distribution_context` yields: the engine object and where this process stands.

    Attributes:
        name: the `distribute` value.
        strategy: the `tf.distribute.Strategy` (TensorFlow) or `keras.distribution.DataParallel`
            (JAX); None without distribution.
        num_replicas: int, replicas that share each global batch.
        is_chief: bool, whether this process writes presets and checkpoints.
        task_id: int, this worker's index (0 on one host).
    """

    def __init__(self, name, strategy, num_replicas, is_chief=True, task_id=0):
        self.name = name
        self.strategy = strategy
        self.num_replicas = num_replicas
        self.is_chief = is_chief
        self.task_id = task_id

    def __repr__(self):
        return (
            f"Distribution({self.name!r}, num_replicas={self.num_replicas}, "
            f"is_chief={self.is_chief}, task_id={self.task_id})"
        )


@contextlib.contextmanager
def distribution_context(name, devices=None):
    """Context manager for data-parallel training; create, compile and fit the model inside.

    Args:
        name: None (no distribution), `"mirrored"`, `"multiworker"`, `"tpu"` or
            `"jax-data-parallel"`.
        devices: optional list of device names for `"mirrored"` (default: every GPU, else
            every logical CPU device) and `"jax-data-parallel"` (default:
            `keras.distribution.list_devices()`).

    Yields a `Distribution`. Create a `MultiWorkerMirroredStrategy` before any other
    TensorFlow op runs in the process (TensorFlow configures its collectives at start-up);
    `pretrain_text_model` enters this context first for that reason.

    Example:
    >>> with distribution_context(None) as dist:
    ...     dist.num_replicas
    1
    """
    check_distribute(name)
    if name is None:
        yield Distribution(None, None, 1)
        return
    if name == "jax-data-parallel":
        distribution = keras.distribution.DataParallel(devices=devices or keras.distribution.list_devices())
        previous = keras.distribution.distribution()
        keras.distribution.set_distribution(distribution)
        import jax

        try:
            yield Distribution(
                name,
                distribution,
                len(distribution.device_mesh.devices.flatten()),
                is_chief=jax.process_index() == 0,
                task_id=jax.process_index(),
            )
        finally:
            keras.distribution.set_distribution(previous)
        return
    strategy = _tf_strategy(name, devices)
    with strategy.scope():
        is_chief, task_id = _tf_task(strategy)
        yield Distribution(name, strategy, strategy.num_replicas_in_sync, is_chief=is_chief, task_id=task_id)


def _tf_strategy(name, devices):
    import tensorflow as tf

    if name == "mirrored":
        if devices is None:
            devices = [d.name for d in tf.config.list_logical_devices("GPU")] or [
                d.name for d in tf.config.list_logical_devices("CPU")
            ]
        reduction = None  # GPUs: TensorFlow's default (NCCL collectives)
        if all("CPU" in str(d).upper() for d in devices):
            # On CPU devices TF's default ring collectives fail on the Seq2Seq gradients
            # ("Shape mismatch in the collective instance"); copying to one device is exact.
            reduction = tf.distribute.ReductionToOneDevice()
        return tf.distribute.MirroredStrategy(devices, cross_device_ops=reduction)
    if devices is not None:
        raise ValueError(
            f"`devices` is only used by 'mirrored' and 'jax-data-parallel' (each "
            f"{name!r} worker uses all its accelerators), received {devices!r}."
        )
    if name == "multiworker":
        _patch_keras_for_multi_worker()
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()  # "tpu": from the environment
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def _is_chief(cluster, task_type, task_id):
    """The TensorFlow multi-worker convention: the `chief` task when the cluster has one,
    else worker 0; a process outside any cluster is its own chief."""
    if not cluster:
        return True
    if "chief" in cluster:
        return task_type == "chief"
    return task_type == "worker" and int(task_id or 0) == 0


def _tf_task(strategy):
    """`(is_chief, task_id)` of this process in `strategy`'s cluster."""
    resolver = getattr(strategy, "cluster_resolver", None)
    cluster = resolver.cluster_spec().as_dict() if resolver is not None else {}
    if not cluster:
        return True, 0
    return _is_chief(cluster, resolver.task_type, resolver.task_id), int(resolver.task_id or 0)


def process_is_chief(name):
    """Whether this process writes the shared files of a run with `distribute=name`, judged
    from the environment alone (usable after the strategy is gone): for `"multiworker"`,
    from `TF_CONFIG`; for `"jax-data-parallel"`, JAX process 0; otherwise True."""
    if name == "multiworker" and os.environ.get("TF_CONFIG"):
        config = json.loads(os.environ["TF_CONFIG"])
        task = config.get("task", {})
        return _is_chief(config.get("cluster", {}), task.get("type"), task.get("index"))
    if name == "jax-data-parallel":
        import jax

        return jax.process_index() == 0
    return True


def model_is_chief(model):
    """Whether this process writes shared files for `model`: False only on a non-chief
    worker of the `MultiWorkerMirroredStrategy` the model was created under, or in a JAX
    process other than 0 (callbacks run outside the strategy scope, so they ask the model)."""
    strategy = getattr(model, "_distribute_strategy", None)
    if strategy is not None:
        return _tf_task(strategy)[0]
    return process_is_chief("jax-data-parallel") if keras.backend.backend() == "jax" else True


@contextlib.contextmanager
def chief_writes(directory, model):
    """Yields where this process writes what belongs in `directory`: `directory` itself on
    the chief; on another worker, a temporary folder removed afterwards. Every worker still
    writes, because saving may read variables with collective ops that all workers must join
    (the pattern of the TensorFlow multi-worker Keras guide)."""
    if model_is_chief(model):
        yield pathlib.Path(directory)
        return
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="rs3l-worker-"))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def shardable(dataset):
    """Under a Keras distribution (JAX), `dataset` without the batches whose size does not
    divide evenly over the batch-sharding devices, which JAX cannot shard: with a global
    `batch_size` that is a multiple of the device count, that is at most the last, partial
    batch of each epoch. Without a Keras distribution `dataset` is returned as it is
    (TensorFlow strategies split uneven batches themselves)."""
    distribution = keras.distribution.distribution()
    if distribution is None:
        return dataset
    import tensorflow as tf

    if not isinstance(dataset, tf.data.Dataset):
        return dataset
    mesh, axis = distribution.device_mesh, distribution.batch_dim_name
    devices = int(mesh.shape[list(mesh.axis_names).index(axis)]) if axis in mesh.axis_names else 1
    if devices == 1:
        return dataset

    def divisible(*batch):
        first = tf.nest.flatten(batch)[0]
        return tf.equal(tf.shape(first)[0] % devices, 0)

    kept = dataset.filter(divisible)
    if int(dataset.cardinality()) < 0:
        return kept
    # A filter hides the batch count, which Keras would then learn only at the end of the
    # first epoch (with a warning); one pass over the data restores it.
    count = int(kept.reduce(np.int64(0), lambda n, _: n + 1))
    if count == 0 and int(dataset.cardinality()) > 0:
        raise ValueError(
            f"No batch of the data splits evenly over the {devices} devices of the "
            f"distribution: make the global `batch_size` a multiple of {devices}."
        )
    return kept.apply(tf.data.experimental.assert_cardinality(count))


def local_copy(model):
    """A copy of `model` built outside any distribution, with the same weights and compile
    arguments (no optimizer state): evaluation and saving then run on one device exactly
    as for an undistributed run, with no cross-worker collectives."""
    config = keras.saving.serialize_keras_object(model)
    twin = keras.saving.deserialize_keras_object(config)
    twin.set_weights([keras.ops.convert_to_numpy(w) for w in model.weights])
    return twin


# -- Keras 3 + MultiWorkerMirroredStrategy ------------------------------------------------
# Keras 3.15 trains under MultiWorkerMirroredStrategy only after two small fixes
# (keras-team/keras#20585, tensorflow/tensorflow#72388): (1) `fit` builds the model from its
# first batch after `strategy.reduce("MEAN", batch)`, which this strategy cannot do on a
# tuple; any replica's part of the batch has the right shapes, so it is used instead;
# (2) per-step logs are scalars, which `reduce_per_replica` reduces with `axis=0`; they are
# averaged across replicas with `axis=None` instead (what MirroredStrategy does). Both
# patches leave every other strategy on Keras' own code path.


@functools.cache
def _patch_keras_for_multi_worker():
    import tensorflow as tf
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer as tf_trainer

    original_reduce = tf_trainer.reduce_per_replica
    original_build = tf_trainer.TensorFlowTrainer._maybe_symbolic_build

    def is_multi_worker(strategy):
        return tf_trainer._collective_all_reduce_multi_worker(strategy)

    @functools.wraps(original_reduce)
    def reduce_per_replica(values, strategy, reduction):
        if is_multi_worker(strategy) and reduction in ("auto", "mean"):

            def reduce(v):
                if getattr(v, "shape", None) is not None and v.shape.rank == 0:
                    return strategy.reduce("MEAN", v, axis=None)
                return original_reduce(v, strategy, reduction)

            return tree.map_structure(reduce, values)
        return original_reduce(values, strategy, reduction)

    @functools.wraps(original_build)
    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        strategy = self._distribute_strategy
        if strategy is None or not is_multi_worker(strategy) or iterator is None:
            return original_build(self, iterator=iterator, data_batch=data_batch)
        for _, _, it in iterator:
            batch = next(it)
            data_batch = tree.map_structure(
                lambda v: (
                    strategy.experimental_local_results(v)[0] if isinstance(v, tf.distribute.DistributedValues) else v
                ),
                batch,
            )
            break
        with strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    tf_trainer.reduce_per_replica = reduce_per_replica
    tf_trainer.TensorFlowTrainer._maybe_symbolic_build = _maybe_symbolic_build
    return True
