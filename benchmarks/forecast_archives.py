"""M3 and Tourism zero-shot benchmark of the global forecaster (protocol:
`rs3l_keras.evaluation.forecasting.ARCHIVE_PROTOCOL`), statsforecast baselines in the same run.

    KERAS_BACKEND=torch OMP_NUM_THREADS=1 python benchmarks/forecast_archives.py \
        --model zoo/lstm-forecaster-global --output benchmarks/forecast_archives.json

`--model`: a preset directory or name, or a `.keras` checkpoint. The untrained twin (same
architecture, random weights, seed 0) runs beside it as a control. `--overlap` also checks,
value by value, that no pool series shares 6 consecutive values with an M3 or Tourism series.
"""

import argparse
import json
import os
import pathlib
import sys
import time

import keras

import rs3l_keras as rs3l
from rs3l_keras.data import forecast_archives, forecast_pool
from rs3l_keras.evaluation import forecasting


def load(model):
    if str(model).endswith(".keras"):
        return keras.saving.load_model(model)
    return rs3l.load_pretrained(model)


def overlap_check():
    archives = []
    for archive, frequency in forecasting.BENCHMARK_COLLECTIONS:
        c = forecast_archives.load_competition(archive, frequency)
        archives += c.train + c.test
    result = {}
    for group in forecast_pool.training_pool(synthetic=0):
        hits = forecast_archives.overlapping_series(group.series, archives)
        result[group.name] = {"series": len(group.series), "sharing_6_values_with_m3_or_tourism": len(hits)}
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--name", default="lstm-forecaster-global")
    parser.add_argument("--output", default="benchmarks/forecast_archives.json")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--overlap", action="store_true")
    args = parser.parse_args()
    model = load(args.model)
    keras.utils.set_random_seed(0)
    twin = type(model).from_config(model.get_config())
    started = time.time()
    results = forecasting.archive_benchmark(
        {args.name: model, "untrained twin (seed 0)": twin},
        baselines=() if args.no_baselines else tuple(forecasting.STATISTICAL_MODELS),
    )
    record = {
        "command": f"KERAS_BACKEND={keras.backend.backend()} python benchmarks/forecast_archives.py "
        + " ".join(sys.argv[1:]),
        "protocol": forecasting.ARCHIVE_PROTOCOL,
        "model": str(args.model),
        "backend": keras.backend.backend(),
        "minutes": round((time.time() - started) / 60, 1),
        "results": results,
    }
    if args.overlap:
        record["pool_overlap"] = overlap_check()
    output = pathlib.Path(args.output)
    tmp = output.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(tmp, output)
    print(forecasting.archive_table(results))
    if "pool_overlap" in record:
        print(json.dumps(record["pool_overlap"], indent=1))


if __name__ == "__main__":
    main()
