"""Progress bars of the long evaluation loops: shown when asked (or on a terminal), silent in
logs, and they never change a result."""

import pytest

import rs3l_keras as rs3l
from rs3l_keras import progress
from rs3l_keras.data.series import load_ucr


def test_score_text_shows_a_bar_only_when_asked(capsys, tiny_preset, shakespeare_test):
    lm, _ = tiny_preset
    text = shakespeare_test[:6_000]
    quiet = lm.score_text(text, batch_size=8)  # "auto": stderr is not a terminal under pytest
    assert capsys.readouterr().err == ""
    shown = lm.score_text(text, batch_size=8, verbose=1)
    err = capsys.readouterr().err
    assert "Scoring text" in err and "100%" in err
    assert shown == quiet
    assert lm.score_text(text, batch_size=8, verbose=0) == quiet and capsys.readouterr().err == ""


def test_embed_and_linear_probe_show_a_bar_only_when_asked(capsys):
    x, y = load_ucr("GunPoint", "test")
    quiet = rs3l.embed("gru-cpc-ucr", x[:40], batch_size=16)
    assert capsys.readouterr().err == ""
    shown = rs3l.embed("gru-cpc-ucr", x[:40], batch_size=16, verbose=True)
    assert "Embedding" in capsys.readouterr().err and (shown == quiet).all()
    result = rs3l.linear_probe("gru-cpc-ucr", (x[:40], y[:40]), (x[40:60], y[40:60]), C=1.0, verbose=1)
    assert capsys.readouterr().err.count("Embedding") == 2 and 0 <= result["accuracy"] <= 1


def test_track_refuses_an_unknown_verbose():
    with pytest.raises(ValueError, match=r"`verbose` must be one of \['auto', 0, 1, 2\] \(or a bool\), received 'yes'"):
        progress.track(range(3), "x", verbose="yes")
