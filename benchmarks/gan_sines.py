"""`RecurrentGAN` on TimeGAN's sines, scored with TimeGAN's protocol (Yoon et al., 2019, Table 1).

For every training seed: 10,000 sines of length 24 with 5 channels (`make_sines(10000,
seed=seed)`, the paper's setting) train a GRU GAN; 10,000 synthetic series are sampled and
compared with the training series (as the reference code does) by

* the discriminative score, repeated with `--repeats` classifier seeds (the paper's post-hoc
  GRU with ⌊5/2⌋ = 2 units, 2,000 iterations) → mean ± std; also a stronger post-hoc
  classifier (16 units, same iterations) to show what the paper's small one misses;
* the predictive score (train on synthetic, MAE on real; the paper's 2-unit GRU, 5,000
  iterations), and once the same predictor trained on real data (the reference row).

    python benchmarks/gan_sines.py --seeds 0 1 2 --epochs 10 --repeats 3
    python benchmarks/gan_sines.py --seeds 0 --epochs 10 --save zoo/gru-gan-sines   # the preset

Prints a Markdown table and writes every number as JSON to `--json` (default
`benchmarks/gan_sines.json`).
"""

import argparse
import json
import pathlib
import platform
import sys
import time

import keras
import numpy as np

from rs3l_keras import RecurrentGAN, RNNBackbone
from rs3l_keras.data.series import make_sines
from rs3l_keras.evaluation import discriminative_score, predictive_score
from rs3l_keras.evaluation.timegan import QUICK_CHECK, quick_check

PUBLISHED = {  # Yoon et al. (2019), Table 1, sines
    "TimeGAN": {"discriminative": ".011 ± .008", "predictive": ".093 ± .019"},
    "TimeGAN without supervised loss": {"discriminative": ".193 ± .013", "predictive": ".103 ± .002"},
    "RCGAN": {"discriminative": ".022 ± .008", "predictive": ".097 ± .001"},
    "C-RNN-GAN": {"discriminative": ".229 ± .040", "predictive": ".127 ± .004"},
    "Original data": {"discriminative": "—", "predictive": ".094 ± .001"},
}


def build(args, seed):
    keras.utils.set_random_seed(seed)
    model = RecurrentGAN(
        RNNBackbone(input_dim=5, cell="gru", num_layers=args.num_layers, hidden_dim=args.hidden_dim),
        noise_dim=5,
        static_noise_dim=args.static_noise_dim,
        output_activation=args.output_activation,
        discriminator_output=args.discriminator_output,
        moment_weight=args.moment_weight,
        moment_differences=args.moment_differences,
        generator_steps=args.generator_steps,
        seed=seed,
    )
    adam = lambda: keras.optimizers.Adam(args.learning_rate, beta_1=0.5, global_clipnorm=1.0)  # noqa: E731
    model.compile(g_optimizer=adam(), d_optimizer=adam())
    return model


def run_seed(args, seed):
    real = make_sines(args.num_series, seed=seed)
    model = build(args, seed)
    start = time.time()
    history = model.fit(real, epochs=args.epochs, batch_size=args.batch_size, seed=seed, verbose=2)
    train_time = time.time() - start
    synthetic = model.sample(args.num_series, seed=seed + 1000)
    its = args.discriminator_iterations
    paper = [discriminative_score(real, synthetic, iterations=its, seed=r)["score"] for r in range(args.repeats)]
    strong = [
        discriminative_score(real, synthetic, hidden_dim=16, iterations=its, seed=r)["score"]
        for r in range(args.strong_repeats)
    ]
    predictive = predictive_score(synthetic, real, iterations=args.predictor_iterations, seed=0)["score"]
    result = {
        "seed": seed,
        "train_seconds": train_time,
        "steps": int(model.d_optimizer.iterations),
        "final_d_loss": history.history["d_loss"][-1],
        "final_g_loss": history.history["g_loss"][-1],
        "discriminative": paper,
        "discriminative_16_units": strong,
        "predictive": predictive,
    }
    print(json.dumps(result), flush=True)
    return model, result


def fmt(values):
    values = np.asarray(values, float)
    return f"{values.mean():.3f} ± {values.std():.3f}" if len(values) > 1 else f"{values.mean():.3f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--num-series", type=int, default=10000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--hidden-dim", type=int, default=24)
    parser.add_argument("--num-layers", type=int, default=1)
    parser.add_argument("--static-noise-dim", type=int, default=5)
    parser.add_argument("--output-activation", default="linear")
    parser.add_argument("--discriminator-output", default="sequence")
    parser.add_argument("--moment-weight", type=float, default=1.0)
    parser.add_argument("--moment-differences", type=int, default=2)
    parser.add_argument("--generator-steps", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--repeats", type=int, default=3, help="post-hoc classifier seeds (paper: 10)")
    parser.add_argument("--strong-repeats", type=int, default=1)
    parser.add_argument("--discriminator-iterations", type=int, default=2000, help="paper: 2000")
    parser.add_argument("--predictor-iterations", type=int, default=5000, help="paper: 5000")
    parser.add_argument("--real-reference", action="store_true", help="predictive score of real data too")
    parser.add_argument("--save", default=None, help="save the first seed's model as a preset here")
    parser.add_argument("--json", default="benchmarks/gan_sines.json")
    args = parser.parse_args()

    results, reference = [], None
    for i, seed in enumerate(args.seeds):
        model, result = run_seed(args, seed)
        results.append(result)
        if i == 0 and args.save:
            save_preset(model, result, args)
    if args.real_reference:
        reference = predictive_score(
            make_sines(args.num_series, seed=args.seeds[0]),
            make_sines(args.num_series, seed=args.seeds[0]),
            iterations=args.predictor_iterations,
            seed=0,
        )["score"]
    paper = [np.mean(r["discriminative"]) for r in results]
    print(f"\n{len(results)} GAN seeds {args.seeds}; {args.repeats} post-hoc classifier seeds each\n")
    print("| model | discriminative score (2-unit GRU, paper) | discriminative score (16-unit GRU) | predictive MAE |")
    print("| --- | --- | --- | --- |")
    print(
        f"| RecurrentGAN (ours) | {fmt([s for r in results for s in r['discriminative']])} "
        f"(per GAN seed: {', '.join(f'{p:.3f}' for p in paper)}) | "
        f"{fmt([s for r in results for s in r['discriminative_16_units']])} | "
        f"{fmt([r['predictive'] for r in results])} |"
    )
    if reference is not None:
        print(f"| real data (train on real, test on real) | — | — | {reference:.3f} |")
    for name, row in PUBLISHED.items():
        print(f"| {name} (published) | {row['discriminative']} | — | {row['predictive']} |")
    out = {
        "args": vars(args),
        "results": results,
        "real_reference_predictive": reference,
        "machine": platform.platform(),
        "keras": keras.__version__,
    }
    pathlib.Path(args.json).write_text(json.dumps(out, indent=1) + "\n")


def save_preset(model, result, args):
    from rs3l_keras import save_pretrained
    from rs3l_keras.zoo.metadata import zoo_metadata

    check = quick_check(model)
    metrics = {
        "discriminative_score": float(np.mean(result["discriminative"])),
        "discriminative_score_std": float(np.std(result["discriminative"])),
        "discriminative_score_16_units": float(np.mean(result["discriminative_16_units"])),
        "predictive_score": result["predictive"],
        **check,
    }
    command = " ".join(["python benchmarks/gan_sines.py", *sys.argv[1:]])
    metadata = {
        "description": "GRU GAN (generator and discriminator 1x24 GRU) trained on TimeGAN's 5-channel sines "
        "of length 24.",
        "recipe": "bash zoo/recipes/gru-gan-sines.sh",
        "command": command,
        "sequence_length": 24,
        "data": {
            "name": "sines",
            "source": "rs3l_keras.data.series.make_sines(10000, seed=0) (TimeGAN's "
            "sine_data_generation: sin(f t + phi) per channel, f, phi ~ U(0, 0.1), scaled to [0, 1])",
            "license": "synthetic (generated by code in this repository)",
            "split": "train: all 10,000",
        },
        "training": {
            "seed": int(result["seed"]),
            "epochs": args.epochs,
            "steps": result["steps"],
            "batch_size": args.batch_size,
            "wall_time_seconds": round(result["train_seconds"]),
            "optimizer": f"Adam({args.learning_rate}, beta_1=0.5, global_clipnorm=1.0) for each network",
            "generator_steps": args.generator_steps,
            "moment_weight": args.moment_weight,
            "moment_differences": args.moment_differences,
            "static_noise_dim": args.static_noise_dim,
        },
        "intended_use": "Sampling synthetic sine-like multichannel series; a worked example of the "
        "RecurrentGAN objective and of TimeGAN's evaluation protocol. Not a general "
        "time-series generator.",
        "license": "Apache-2.0",
        "headline_metric": "discriminative_score",
        "evaluation": (
            "TimeGAN protocol against the 10,000 training series: post-hoc GRU classifier "
            f"(2 units, 2,000 iterations, 80/20 split) |accuracy - 0.5|, mean of {args.repeats} "
            "classifier seeds; predictive score: 2-unit GRU trained on 10,000 synthetic series "
            "for 5,000 iterations, MAE on the real ones. quick_*: see "
            f"rs3l_keras.evaluation.timegan.QUICK_CHECK {QUICK_CHECK}."
        ),
        "baselines": {
            "timegan_discriminative": 0.011,
            "timegan_no_supervised_loss_discriminative": 0.193,
            "timegan_predictive": 0.093,
            "original_data_predictive": 0.094,
        },
        "quick_check": QUICK_CHECK,
    }
    save_pretrained(model, args.save, metrics=metrics, metadata=zoo_metadata(**metadata))


if __name__ == "__main__":
    main()
