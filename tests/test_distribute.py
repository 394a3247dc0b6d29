"""Data-parallel pretraining on the engines' own strategies, against single-device runs.

Each distributed run happens in a fresh process: logical CPU devices, JAX host devices and
`TF_CONFIG` must be set before the engine starts. Every run trains the same tiny language
model on the same slice of Shakespeare with the same seed and global batch, so the
distributed losses must match the single-device ones up to summation order.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from rs3l_keras import cli, distribute
from rs3l_keras.pretrain import pretrain_text_model

CHARS = 12_000  # 374 windows of 32 chars: 12 global batches a epoch, the last of 22 (splits in 2)
RUN = dict(
    objective="language-model",
    hidden_dim=32,
    embedding_dim=8,
    sequence_length=32,
    batch_size=32,
    epochs=3,
    learning_rate=1e-2,
    seed=0,
    verbose=0,
)
TIMEOUT = 300

# Runs pretrain_text_model with `distribute`, reporting per-epoch losses, the replica count
# and the variable type the model trained with, and the held-out bits/char of the result.
PRETRAIN = """
import json, sys
import keras
from rs3l_keras.data import shakespeare
from rs3l_keras.pretrain import pretrain_text_model

text = shakespeare.load_text("train")[:{chars}]
heldout = shakespeare.load_text("test")[:3000]


def run(distribute, **extra):
    seen = {{"losses": []}}

    def begin(logs):
        model = recorder.model
        if keras.backend.backend() == "tensorflow":
            seen["replicas"] = model.distribute_strategy.num_replicas_in_sync
        else:
            seen["replicas"] = len(model.weights[0].value.sharding.device_set)
        seen["variable"] = type(model.weights[0].value).__name__

    recorder = keras.callbacks.LambdaCallback(
        on_train_begin=begin, on_epoch_end=lambda epoch, logs: seen["losses"].append(float(logs["loss"])))
    _, metrics = pretrain_text_model(text, heldout, callbacks=[recorder], distribute=distribute,
                                     **dict({run}, **extra))
    seen["heldout_bits_per_char"] = metrics["heldout_bits_per_char"]
    return seen
"""


def _script(tmp_path, name, body, prelude=""):
    path = tmp_path / name
    path.write_text(prelude + PRETRAIN.format(chars=CHARS, run=RUN) + textwrap.dedent(body))
    return path


def _env(**extra):
    # TensorFlow strategies unless a test says otherwise, whatever backend runs the suite
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1", KERAS_BACKEND="tensorflow")
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env


def _run(path, *args, **env):
    done = subprocess.run(
        [sys.executable, str(path), *args], env=_env(**env), capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _assert_same_training(distributed, single, rtol=1e-3):
    np.testing.assert_allclose(distributed["losses"], single["losses"], rtol=rtol)
    np.testing.assert_allclose(distributed["heldout_bits_per_char"], single["heldout_bits_per_char"], rtol=rtol)
    assert distributed["losses"][-1] < distributed["losses"][0] - 0.1, distributed["losses"]


TWO_CPUS = """
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
"""


def test_mirrored_over_two_cpu_devices_matches_one_device(tmp_path):
    path = _script(
        tmp_path,
        "mirrored.py",
        """
        print(json.dumps({"single": run(None), "mirrored": run("mirrored")}))
    """,
        prelude=TWO_CPUS,
    )
    result = _run(path)
    single, mirrored = result["single"], result["mirrored"]
    assert single["replicas"] == 1 and mirrored["replicas"] == 2
    assert mirrored["variable"] == "MirroredVariable" and single["variable"] == "ResourceVariable"
    _assert_same_training(mirrored, single)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_multiworker_on_two_processes_matches_one_worker(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    path = _script(
        tmp_path,
        "worker.py",
        """
        out = sys.argv[1]
        print(json.dumps(run("multiworker", output=out + "/preset", checkpoint_dir=out + "/ckpt")))
    """,
    )
    workers = [f"127.0.0.1:{_free_port()}" for _ in range(2)]
    scratch = tmp_path / "tmp"  # where non-chief workers put their throw-away checkpoints
    scratch.mkdir()
    # The single-worker reference trains in a third process (TensorFlow, like the workers).
    reference = _script(
        tmp_path,
        "single.py",
        """
        print(json.dumps(run(None)))
    """,
    )
    procs = []
    try:
        procs.append(
            subprocess.Popen(
                [sys.executable, str(reference)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
            )
        )
        for index in range(2):
            config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
            procs.append(
                subprocess.Popen(
                    [sys.executable, str(path), str(shared)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=_env(TF_CONFIG=json.dumps(config), TMPDIR=str(scratch)),
                )
            )
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=TIMEOUT)
            assert proc.returncode == 0, err[-4000:]
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    single, results = results[0], results[1:]
    assert single["replicas"] == 1
    for result in results:
        assert result["replicas"] == 2  # one replica on each worker, gradients all-reduced
        _assert_same_training(result, single)
    meta = json.loads((shared / "preset" / "metadata.json").read_text())
    assert meta["training"]["distribute"] == "multiworker" and meta["training"]["replicas"] == 2
    assert meta["metrics"]["heldout_bits_per_char"] == pytest.approx(results[0]["heldout_bits_per_char"])
    # The chief kept last/best weights and removed the finished run's backup; the other
    # worker's scratch copies are gone.
    assert sorted(p.name for p in (shared / "ckpt").iterdir()) == ["best.weights.h5", "last.weights.h5"]
    assert list(scratch.iterdir()) == []


JAX = """
import io, contextlib
import keras
from rs3l_keras import cli, distribute
from rs3l_keras.data.windowing import shuffled_batches

report = {"devices": len(keras.distribution.list_devices()),
          "single": run(None), "data_parallel": run("jax-data-parallel")}
try:
    run("jax-data-parallel", batch_size=33)
except ValueError as error:
    report["odd_batch_error"] = str(error)
# 21 rows in batches of 4: the last batch (1 row) cannot be split over 2 devices.
with distribute.distribution_context("jax-data-parallel"):
    kept = distribute.shardable(shuffled_batches(np.arange(21), 4, seed=0))
    report["shardable"] = [int(kept.cardinality()), [int(b.shape[0]) for b in kept]]
stderr = io.StringIO()
with contextlib.redirect_stderr(stderr):
    code = cli.main(["pretrain", "--distribute", "mirrored", "--output", "unused"])
report["cli_mirrored"] = [code, stderr.getvalue()]
print(json.dumps(report))
"""


def test_jax_data_parallel_over_two_host_devices_matches_one_device(tmp_path):
    path = _script(tmp_path, "jax_dp.py", JAX, prelude="import numpy as np\n")
    result = _run(path, KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2")
    assert result["devices"] == 2
    single, parallel = result["single"], result["data_parallel"]
    assert single["replicas"] == 1 and parallel["replicas"] == 2  # weights replicated on both devices
    _assert_same_training(parallel, single)
    assert "`batch_size`" in result["odd_batch_error"] and "received 33" in result["odd_batch_error"]
    assert result["shardable"] == [5, [4, 4, 4, 4, 4]]
    code, err = result["cli_mirrored"]
    assert code == 2
    assert "distribute='mirrored'" in err and "jax backend" in err and "KERAS_BACKEND=tensorflow" in err


def test_cli_pretrain_mirrored_end_to_end(tmp_path):
    corpus = tmp_path / "corpus.txt"
    from rs3l_keras.data import shakespeare

    corpus.write_text(shakespeare.load_text("train")[:CHARS], encoding="utf-8")
    held = tmp_path / "held.txt"
    held.write_text(shakespeare.load_text("test")[:3000], encoding="utf-8")
    path = tmp_path / "cli.py"
    path.write_text(
        TWO_CPUS
        + textwrap.dedent("""
        import sys
        from rs3l_keras.cli import main
        sys.exit(main(sys.argv[1:]))
    """)
    )
    argv = [
        "pretrain",
        "--text",
        str(corpus),
        "--validation-text",
        str(held),
        "--hidden-dim",
        "32",
        "--embedding-dim",
        "8",
        "--sequence-length",
        "32",
        "--batch-size",
        "32",
        "--epochs",
        "2",
        "--learning-rate",
        "0.01",
        "--output",
        str(tmp_path / "preset"),
        "--distribute",
        "mirrored",
    ]
    done = subprocess.run(
        [sys.executable, str(path), *argv], env=_env(), capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Preset written to" in done.stdout
    meta = json.loads((tmp_path / "preset" / "metadata.json").read_text())
    assert meta["training"]["distribute"] == "mirrored" and meta["training"]["replicas"] == 2
    assert "--distribute mirrored" in meta["command"]
    assert meta["metrics"]["heldout_bits_per_char"] < 5.5  # below log2(vocabulary): it learned
    from rs3l_keras import load_pretrained

    loaded = load_pretrained(str(tmp_path / "preset"))
    assert loaded.score_text(held.read_text())["bits_per_char"] == pytest.approx(
        meta["metrics"]["heldout_bits_per_char"], rel=1e-5
    )


def test_backend_mismatch_and_unknown_strategy_are_clear_errors(capsys, tmp_path):
    import keras

    backend = keras.backend.backend()  # ask for a strategy of the other engine
    name, engine = ("jax-data-parallel", "jax") if backend == "tensorflow" else ("mirrored", "tensorflow")
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("To be, or not to be, that is the question.\n" * 20, encoding="utf-8")
    code = cli.main(["pretrain", "--text", str(corpus), "--output", str(tmp_path / "p"), "--distribute", name])
    err = capsys.readouterr().err
    assert code == 2
    assert f"distribute={name!r}" in err and f"using the {backend} backend" in err and f"KERAS_BACKEND={engine}" in err
    assert not (tmp_path / "p").exists()
    with pytest.raises(ValueError, match=r"`distribute` must be one of .*received 'horovod'"):
        pretrain_text_model("some text", distribute="horovod")
    with pytest.raises(SystemExit):
        cli.main(["pretrain", "--output", str(tmp_path / "p"), "--distribute", "horovod"])
    assert "invalid choice: 'horovod'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "config, chief",
    [
        ({"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 0}}, True),
        ({"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 1}}, False),
        ({"cluster": {"chief": ["c:1"], "worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}, False),
        ({"cluster": {"chief": ["c:1"], "worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}, True),
    ],
)
def test_the_chief_follows_the_tensorflow_convention(monkeypatch, config, chief):
    monkeypatch.setenv("TF_CONFIG", json.dumps(config))
    assert distribute.process_is_chief("multiworker") is chief
    assert distribute.process_is_chief("mirrored") is True


def test_no_distribution_is_a_single_replica():
    import keras

    with distribute.distribution_context(None) as dist:
        assert dist.num_replicas == 1 and dist.is_chief and dist.strategy is None
    # on the other backends "multiworker" is refused before its arguments are read
    expected = (
        "`devices` is only used by" if keras.backend.backend() == "tensorflow" else "runs on the tensorflow backend"
    )
    with pytest.raises(ValueError, match=expected):
        with distribute.distribution_context("multiworker", devices=["/cpu:0"]):
            pass
