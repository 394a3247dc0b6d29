import json
import shutil
import subprocess
import sys

import pytest

from rs3l_keras import cli


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_and_info(capsys):
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0 and "lstm-lm-small" in json.loads(out)
    code, out, _ = run(capsys, "list", "lstm-*")
    lines = out.splitlines()
    assert code == 0 and any(line.startswith("lstm-lm-small ") for line in lines)
    assert lines and all(line.startswith("lstm-") for line in lines)
    assert not any(line.startswith("gru-") for line in lines)
    code, out, _ = run(capsys, "info", "lstm-lm-small")
    assert code == 0 and "# lstm-lm-small" in out and "heldout_bits_per_char" in out
    code, out, _ = run(capsys, "verify", "lstm-lm-small")
    assert code == 0 and "verified" in out


def test_generate_and_evaluate_json(capsys, tiny_preset, tmp_path, shakespeare_test):
    _, path = tiny_preset
    code, out, _ = run(
        capsys, "generate", str(path), "--prompt", "ROMEO.", "--max-length", "40", "--seed", "0", "--top-k", "5"
    )
    assert code == 0 and out.startswith("ROMEO.") and len(out.rstrip("\n")) >= 40
    text = tmp_path / "heldout.txt"
    text.write_text(shakespeare_test[:4000])
    code, out, _ = run(capsys, "evaluate", str(path), "--text", str(text), "--json")
    result = json.loads(out)
    assert code == 0 and result["num_chars"] == 3999
    assert {"bits_per_char", "perplexity", "num_chars"} <= set(result)
    assert result["perplexity"] == pytest.approx(2 ** result["bits_per_token"], rel=1e-6)


def test_pretrain_writes_a_loadable_preset(capsys, tmp_path, shakespeare_train, shakespeare_test):
    train, heldout = tmp_path / "train.txt", tmp_path / "heldout.txt"
    train.write_text(shakespeare_train[:30_000])
    heldout.write_text(shakespeare_test[:3_000])
    out_dir = tmp_path / "my-preset"
    code, out, err = run(
        capsys,
        "pretrain",
        "--text",
        str(train),
        "--validation-text",
        str(heldout),
        "--hidden-dim",
        "16",
        "--embedding-dim",
        "8",
        "--sequence-length",
        "32",
        "--batch-size",
        "32",
        "--epochs",
        "2",
        "--output",
        str(out_dir),
        "--plot",
        str(tmp_path / "figures"),
    )
    assert code == 0 and "metadata.json sha256" in out
    # where the checkpoints are, the exact command that resumes, the training curves
    ckpt = tmp_path / "my-preset.ckpt"
    assert f"Best weights (lowest training loss): {ckpt / 'best.weights.h5'}" in out
    assert f"Last weights: {ckpt / 'last.weights.h5'}" in out
    assert (ckpt / "best.weights.h5").stat().st_size > 0 and (ckpt / "last.weights.h5").stat().st_size > 0
    resume = f"rs3l pretrain --text {train} --validation-text {heldout} --hidden-dim 16"
    assert resume in err and err.split(resume)[1].split("\n")[0].endswith(" --resume")
    curves = tmp_path / "figures" / "training_curves.png"
    assert f"Training curves: {curves}" in out and curves.read_bytes()[:4] == b"\x89PNG"
    assert curves.stat().st_size > 5_000
    import rs3l_keras as rs3l

    meta = rs3l.preset_metadata(out_dir)
    assert meta["recipe"].startswith("rs3l pretrain --text")
    assert meta["metrics"]["heldout_bits_per_char"] > 0 and meta["data"]["train_files"] == [str(train)]
    assert type(rs3l.load_pretrained(out_dir)).__name__ == "LanguageModel"


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["generate", "lstm-lm-small", "--prompt", "x", "--temperature", "0"],
            "expected a finite number > 0, received 0",
        ),
        (["generate", "lstm-lm-small", "--prompt", "x", "--top-k", "-3"], "expected a positive integer, received -3"),
        (
            ["generate", "lstm-lm-small", "--prompt", "x", "--max-length", "ten"],
            "expected a positive integer, received 'ten'",
        ),
        (["evaluate", "lstm-lm-small", "--text", "/no/such/file.txt"], "no such file"),
        (["pretrain", "--output", "x", "--dropout", "1.5"], r"expected a number in \[0, 1\), received 1.5"),
    ],
)
def test_out_of_range_flags_exit_2_with_a_message(capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert message.replace("\\", "") in capsys.readouterr().err.replace("\\", "")


def test_library_errors_exit_2_without_traceback(capsys, tmp_path):
    code, _, err = run(capsys, "info", "lstm-lm-smal")
    assert code == 2 and "Did you mean 'lstm-lm-small'" in err and "Traceback" not in err
    empty = tmp_path / "empty.txt"
    empty.write_text("x")
    code, _, err = run(capsys, "evaluate", "lstm-lm-small", "--text", str(empty), "--context", "300")
    assert code == 2 and "--context must be smaller than --window" in err


def test_console_script_is_installed():
    exe = shutil.which("rs3l") or str(__import__("pathlib").Path(sys.executable).with_name("rs3l"))
    result = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == __import__("rs3l_keras").__version__


def test_pretrain_masked_lm_compares_with_a_language_model(capsys, tmp_path, shakespeare_train, shakespeare_test):
    import rs3l_keras as rs3l

    train, heldout = tmp_path / "train.txt", tmp_path / "heldout.txt"
    train.write_text(shakespeare_train[:30_000])
    heldout.write_text(shakespeare_test[:4_000])
    common = [
        "--text",
        str(train),
        "--validation-text",
        str(heldout),
        "--hidden-dim",
        "16",
        "--embedding-dim",
        "8",
        "--sequence-length",
        "32",
        "--batch-size",
        "32",
        "--epochs",
        "1",
    ]
    assert run(capsys, "pretrain", *common, "--output", str(tmp_path / "lm"))[0] == 0
    code, out, err = run(
        capsys,
        "pretrain",
        "--objective",
        "masked-language-model",
        *common,
        "--compare-with",
        str(tmp_path / "lm"),
        "--output",
        str(tmp_path / "mlm"),
    )
    assert code == 0, err
    meta = rs3l.preset_metadata(tmp_path / "mlm")
    assert meta["objective"] == "MaskedLanguageModel" and meta["backbone"]["bidirectional"]
    assert 0 <= meta["metrics"]["heldout_masked_accuracy"] <= 1 and meta["metrics"]["heldout_num_masked"] > 400
    assert 0 <= meta["baselines"]["left_context_lm_accuracy"] <= 1
    assert meta["headline_metric"] == "heldout_masked_accuracy"


@pytest.mark.parametrize(
    "objective, extra, headline",
    [
        ("seq2seq", ["--attention", "bahdanau", "--eval-lines", "20", "--sequence-length", "40"], "heldout_cer"),
        # --max-length: the old name of --sequence-length, still read (with a deprecation line)
        (
            "sequence-vae",
            ["--latent-dim", "4", "--free-bits", "0.2", "--eval-lines", "50", "--max-length", "40"],
            "heldout_nll_bound",
        ),
    ],
)
def test_pretrain_line_objectives(capsys, tmp_path, shakespeare_train, shakespeare_test, objective, extra, headline):
    import rs3l_keras as rs3l

    train, heldout = tmp_path / "train.txt", tmp_path / "heldout.txt"
    train.write_text(shakespeare_train[:8_000])
    heldout.write_text(shakespeare_test[:3_000])
    code, out, err = run(
        capsys,
        "pretrain",
        "--objective",
        objective,
        "--text",
        str(train),
        "--validation-text",
        str(heldout),
        "--hidden-dim",
        "16",
        "--embedding-dim",
        "8",
        "--batch-size",
        "32",
        "--epochs",
        "1",
        *extra,
        "--output",
        str(tmp_path / "preset"),
    )
    assert code == 0, err
    meta = rs3l.preset_metadata(tmp_path / "preset")
    assert meta["headline_metric"] == headline and headline in meta["metrics"] and meta["sequence_length"] == 40
    assert ("--max-length is deprecated and will be removed: use --sequence-length" in err) == ("--max-length" in extra)
    if objective == "seq2seq":
        assert {"copy_input_cer", "copy_input_exact_match"} <= set(meta["baselines"])
    else:
        assert meta["metrics"]["heldout_kl"] >= 0 and len(meta["samples"]) == 6
    assert type(rs3l.load_pretrained(tmp_path / "preset")).__name__ in ("Seq2Seq", "SequenceVAE")


@pytest.mark.parametrize(
    "preset, files",
    [
        ("lstm-forecaster-elecdemand", ["forecast.png"]),
        ("lstm-autoencoder-ucr135", ["anomaly_scores.png", "anomaly_scores_zoom.png", "reconstructions.png"]),
        ("gru-cpc-ucr", ["embeddings_pca_ItalyPowerDemand.png"]),
        ("gru-gan-sines", ["samples_vs_real.png"]),
    ],
)
def test_plot_draws_a_time_series_preset_on_its_data(capsys, tmp_path, preset, files):
    code, out, err = run(capsys, "plot", preset, "--plot", str(tmp_path / "figures"))
    assert code == 0, err
    written = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert written == sorted(files)
    for name in files:
        path = tmp_path / "figures" / name
        assert f"wrote {path}" in out and path.read_bytes()[:4] == b"\x89PNG" and path.stat().st_size > 5_000


def test_plot_explains_why_a_text_preset_has_no_figure(capsys, tmp_path):
    code, _, err = run(capsys, "plot", "lstm-seq2seq-small", "--plot", str(tmp_path))
    assert code == 2 and "is a Seq2Seq: a preset keeps no per-epoch training history" in err
    assert "rs3l pretrain ... --plot DIR" in err and not list(tmp_path.iterdir())


def test_pretrain_logdir_without_tensorboard_is_a_clear_error(capsys, tmp_path, monkeypatch):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else find_spec(name, *a)
    )
    text = tmp_path / "train.txt"
    text.write_text("To be, or not to be, that is the question.\n" * 50)
    code, _, err = run(
        capsys, "pretrain", "--text", str(text), "--output", str(tmp_path / "p"), "--logdir", str(tmp_path / "tb")
    )
    assert code == 2 and "the tensorboard package is not installed: `pip install tensorboard`" in err
    assert not (tmp_path / "p").exists()


def test_pretrain_on_a_tfds_dataset_offline_is_a_clear_error(capsys, tmp_path, monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (network blocked by the test)")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)  # offline, whatever machine runs the test
    code, out, err = run(
        capsys,
        "pretrain",
        "--data",
        "tfds:tiny_shakespeare",
        "--tfds-data-dir",
        str(tmp_path / "tfds"),
        "--output",
        str(tmp_path / "p"),
    )
    assert code == 2 and "Traceback" not in err
    assert (
        "rs3l pretrain: error: could not download TFDS dataset 'tiny_shakespeare' (offline?); use --data "
        "shakespeare (offline) or --text FILE. Cause: HTTPSConnectionPool(host='raw.githubusercontent.com'"
    ) in err
    assert not (tmp_path / "p").exists() and not (tmp_path / "p.ckpt").exists()
    assert not (tmp_path / "tfds").exists()  # the half-downloaded dataset is removed
    with pytest.raises(SystemExit) as info:
        cli.main(["pretrain", "--data", "ag_news_subset", "--output", str(tmp_path / "p")])
    assert info.value.code == 2
    assert "expected 'shakespeare' (offline) or 'tfds:NAME'" in capsys.readouterr().err


def test_pretrain_on_a_tfds_dataset_through_the_download_path(capsys, tmp_path):
    # `--data tfds:NAME` on a dataset not yet prepared in --tfds-data-dir: the same
    # download_and_prepare call an online dataset gets; our offline builder needs no network.
    import rs3l_keras as rs3l
    from rs3l_keras import pretrain
    from rs3l_keras.data import shakespeare

    code, out, err = run(
        capsys,
        "pretrain",
        "--data",
        "tfds:rs3l_shakespeare",
        "--tfds-data-dir",
        str(tmp_path / "tfds"),
        "--tfds-text-key",
        "play",
        "--hidden-dim",
        "8",
        "--embedding-dim",
        "4",
        "--sequence-length",
        "8",
        "--batch-size",
        "4",
        "--epochs",
        "1",
        "--output",
        str(tmp_path / "p"),
    )
    assert code == 0, err
    assert (tmp_path / "tfds" / "rs3l_shakespeare" / "1.0.0" / "dataset_info.json").is_file()
    meta = rs3l.preset_metadata(tmp_path / "p")
    data = meta["data"]
    assert data["name"] == "tfds:rs3l_shakespeare" and data["text_key"] == "play" and data["heldout_split"] == "test"
    assert meta["recipe"].startswith("rs3l pretrain --data tfds:rs3l_shakespeare --tfds-data-dir")
    assert meta.get("license") != pretrain.SHAKESPEARE_LICENSE  # the built-in corpus' card is not claimed
    heldout = "\n".join(shakespeare.HELD_OUT_PLAYS)  # the held-out plays' names, one per line
    assert meta["metrics"]["heldout_num_chars"] == len(heldout) - 1  # each character after the first is scored


def test_load_corpus_takes_path_objects_and_records_plain_strings(tmp_path):
    import json
    import pathlib

    from rs3l_keras import pretrain

    train, held = tmp_path / "train.txt", tmp_path / "held.txt"
    train.write_text("To be, or not to be")
    held.write_text("that is the question")
    text, heldout, meta = pretrain.load_corpus(text_files=[pathlib.Path(train)], validation_files=[held])
    assert (text, heldout) == ("To be, or not to be", "that is the question")
    assert json.loads(json.dumps(meta))["train_files"] == [str(train)]  # JSON-ready for the preset metadata
