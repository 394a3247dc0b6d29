import keras
import numpy as np
import pytest

import rs3l_keras as rs3l
from rs3l_keras import DiscriminativeAdam, GradualUnfreezing, SlantedTriangular, discriminative_optimizer
from rs3l_keras.data.reviews import load_reviews


@pytest.fixture(scope="module")
def reviews():
    texts, labels = load_reviews("train")
    return [t[:64] for t in texts[:64]], labels[:64]


def test_slanted_triangular_matches_the_ulmfit_formula():
    s = SlantedTriangular(0.01, total_steps=1000, cut_frac=0.1, ratio=32)
    for t in (0, 50, 100, 400, 1000):
        cut = 100
        p = t / cut if t < cut else 1 - (t - cut) / (cut * (1 / 0.1 - 1))
        assert float(s(t)) == pytest.approx(0.01 * (1 + p * 31) / 32, rel=1e-5)
    assert max(float(s(t)) for t in range(0, 1000, 10)) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="`cut_frac` must be in"):
        SlantedTriangular(0.01, 100, cut_frac=1.5)
    with pytest.raises(ValueError, match="`total_steps` must be a positive int"):
        SlantedTriangular(0.01, 0)
    assert SlantedTriangular.from_config(s.get_config()).get_config() == s.get_config()


def test_discriminative_rates_divide_by_decay_per_layer_group(reviews):
    clf = rs3l.finetune("lstm-lm-small", head="classification", num_classes=2, sequence_length=64)
    groups = clf.layer_groups()
    assert [len(g) for g in groups] == [4, 3, 1]  # head (kernel, bias, norm γ, β), LSTM, embedding
    clf.compile(optimizer=discriminative_optimizer(clf, learning_rate=1e-3, decay=2.6))
    before = [[np.array(v) for v in g] for g in groups]
    clf.fit(*reviews, epochs=1, batch_size=64, steps_per_epoch=1, shuffle=False, verbose=0)
    # Adam's first step moves a weight by lr·|g|/(|g|+ε): ≈ its learning rate unless g is tiny.
    steps = [np.max(np.abs(np.array(g[0]) - b[0])) for g, b in zip(groups, before)]
    assert steps[0] == pytest.approx(1e-3, rel=0.05)
    assert steps[1] == pytest.approx(1e-3 / 2.6, rel=0.05)
    assert steps[2] == pytest.approx(1e-3 / 2.6**2, rel=0.05)


def test_gradual_unfreezing_adds_one_group_per_epoch(reviews):
    clf = rs3l.finetune("lstm-lm-small", head="classification", num_classes=2, sequence_length=64)
    clf.compile(optimizer=discriminative_optimizer(clf, learning_rate=1e-3))
    groups = clf.layer_groups()
    snapshots = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: snapshots.append([np.array(g[0]) for g in groups])
    )
    start = [np.array(g[0]) for g in groups]
    unfreezing = GradualUnfreezing()
    clf.fit(*reviews, epochs=3, batch_size=32, verbose=0, callbacks=[unfreezing, record])
    assert unfreezing.history == [1, 2, 3]
    changed = lambda a, b: not np.array_equal(a, b)  # noqa: E731
    # epoch 0: head only; epoch 1: + LSTM; epoch 2: + embedding
    assert [changed(a, b) for a, b in zip(start, snapshots[0])] == [True, False, False]
    assert [changed(a, b) for a, b in zip(snapshots[0], snapshots[1])] == [True, True, False]
    assert [changed(a, b) for a, b in zip(snapshots[1], snapshots[2])] == [True, True, True]


def test_freeze_backbone_trains_the_head_only(reviews):
    clf = rs3l.finetune("lstm-lm-small", head="classification", num_classes=2, sequence_length=64, freeze="backbone")
    before = [np.array(w) for w in clf.backbone.weights]
    clf.fit(*reviews, epochs=1, batch_size=32, verbose=0)
    assert all(np.array_equal(a, np.array(b)) for a, b in zip(before, clf.backbone.weights))
    assert len(clf.trainable_weights) == 4  # head kernel and bias, head norm γ and β


def test_optimizer_config_round_trip_and_errors():
    opt = DiscriminativeAdam(groups=[["a"], ["b", "c"]], decay=3.0, learning_rate=0.01)
    clone = DiscriminativeAdam.from_config(opt.get_config())
    assert clone.groups == [["a"], ["b", "c"]] and clone.decay == 3.0
    with pytest.raises(ValueError, match="`decay` must be a number ≥ 1"):
        DiscriminativeAdam(decay=0.5)
    clf = rs3l.finetune("lstm-lm-small", head="classification", num_classes=2)
    with pytest.raises(TypeError, match="GradualUnfreezing needs a DiscriminativeAdam"):
        clf.fit(["good"] * 4, [1] * 4, epochs=1, verbose=0, callbacks=[GradualUnfreezing()])


def test_compile_ulmfit_pretrained_and_scratch_recipes():
    import keras

    import rs3l_keras as rs3l

    tok = rs3l.CharTokenizer.fit(["a good review", "a bad one"])
    for pretrained, unfreeze in ((True, True), (True, False), (False, True)):
        clf = rs3l.finetune(
            rs3l.RNNBackbone(tok.vocabulary_size, hidden_dim=4), head="classification", num_classes=2, tokenizer=tok
        )
        callbacks = rs3l.compile_ulmfit(clf, 2e-3, 10, pretrained=pretrained, gradual_unfreezing=unfreeze)
        if pretrained:
            assert isinstance(clf.optimizer, rs3l.DiscriminativeAdam)
            assert [type(c) for c in callbacks] == ([rs3l.GradualUnfreezing] if unfreeze else [])
        else:
            # plain Adam (on torch, Keras builds its torch subclass of keras.optimizers.Adam)
            assert isinstance(clf.optimizer, keras.optimizers.Adam) and callbacks == []
            assert not isinstance(clf.optimizer, rs3l.DiscriminativeAdam)
        assert isinstance(clf.optimizer._learning_rate, rs3l.SlantedTriangular)  # the schedule itself


def test_ulmfit_end_to_end_calls_on_real_reviews(reviews):
    texts, labels = reviews
    lm = rs3l.load_pretrained("lstm-lm-small")
    before = lm.score_text("\n".join(texts[:32]), verbose=0)["bits_per_char"]
    history = rs3l.finetune_language_model(lm, texts, epochs=2, learning_rate=3e-3, batch_size=8)
    assert len(history.history["loss"]) == 2
    assert lm.score_text("\n".join(texts[:32]), verbose=0)["bits_per_char"] < before  # adapted to the task text
    clf = rs3l.finetune(lm, head="classification", num_classes=2, sequence_length=64)
    history = rs3l.fit_classifier(clf, texts, labels, epochs=3, batch_size=16)
    assert len(history.history["loss"]) == 3
    assert isinstance(clf.optimizer, DiscriminativeAdam)
    # the random-weights control: same schedule, plain Adam, the backbone trains from epoch 1
    scratch = rs3l.finetune(rs3l.load_pretrained("lstm-lm-small"), head="classification", num_classes=2)
    start = [w.numpy().copy() for w in scratch.backbone.weights]
    rs3l.fit_classifier(scratch, texts[:32], labels[:32], epochs=1, batch_size=16, pretrained=False)
    assert not isinstance(scratch.optimizer, DiscriminativeAdam)
    assert any(not np.allclose(a, w.numpy()) for a, w in zip(start, scratch.backbone.weights))
    with pytest.raises(TypeError, match="`lm` must be a LanguageModel"):
        rs3l.finetune_language_model(clf, texts)
    with pytest.raises(ValueError, match="`texts` must be a non-empty list of str"):
        rs3l.finetune_language_model(lm, "one string")
