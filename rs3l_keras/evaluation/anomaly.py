"""Anomaly-detection benchmark protocol: every labelled anomaly series that ships offline,
the recurrent detectors against three standard baselines, thresholds judged out of sample.

Written down before the run it judges (issue 22); `benchmarks/anomaly.py` runs it.

Series (`SERIES`; each is a normal part, used for training and calibration only, and a
labelled test part, never trained on; one window length per series, the same for every
windowed method, fixed here from the normal part's period, not from the labels):

  * `ucr135` — UCR anomaly archive 135 (aeon `load_kdd_tsad_135`): normal = steps 0–1199
    (the archive's train part); test = steps 1200–7500, one labelled anomaly (12 steps).
    Window 32 (the `lstm-autoencoder-ucr135` preset's).
  * `ecg3` — aeon `ecg-diff-count-3` (semi-supervised split): normal = the 10,000-step
    anomaly-free train series; test = the 10,000-step test series, 3 anomalies of 100 steps.
    Window 64.
  * `mitdb` — sktime 1.2.0 `mitdb.csv` (MIT-BIH ECG, 7,500 steps, one 352-step anomaly at
    6936–7287): normal = steps 0–2999 (unlabelled there); test = steps 3000–7499. Window 64.
  * `yahoo` — sktime 1.2.0 `yahoo.csv` (1,000 steps, 7 one-step anomalies at 431–846):
    normal = steps 0–399 (no anomaly); test = steps 400–999. Window 24 (period ≈ 12).
  * `ecg200_spliced`, `ecg5000_spliced` — UCR classification sets (`rs3l_keras.data.
    ucr_archive`) with a minority class spliced in. Majority class = the most frequent TRAIN
    class; minority class = the least frequent TRAIN class. Normal = the first `n_normal`
    TRAIN series of the majority class, concatenated in archive order (ECG200: all 69 → 6,624
    steps; ECG5000: 60 → 8,400 steps). Test = the first `n_normal` TEST series of the
    majority class concatenated, with the first TEST series of the minority class inserted
    after the middle one (one anomaly per series, as in the UCR anomaly archive; its steps
    are the labels). Only TRAIN series reach training. Windows 48 (ECG200, length 96) and 64
    (ECG5000, length 140).

Calibration: every method scores steps; the normal part is split in time, the first 75%
trains the method (`rs3l_keras.anomaly.holdout_split`, `DEFAULT_HOLDOUT`) and the last 25%
(never trained on) calibrates the threshold. Rules on those held-out scores: `max`,
`quantile` (0.99) and `pot` (peaks over threshold, risk 1e-4 per step); control: `insample`,
the 0.99 quantile of the scores of the 75% the model trained on (the old default). The
default rule of `SequenceAutoencoder.fit` is the held-out rule with the highest mean F1 at
the stored threshold over the seeds of the **development series** `DEV_SERIES` (ucr135,
ecg3); the other four series judge it (their numbers never chose anything).

Methods:
  * `autoencoder` — `SequenceAutoencoder` (LSTM 1×64 encoder and decoder, 16-d code), the
    series' window, stride 1, Adam 3e-3 (global clipnorm 1), batch 32, `steps` gradient
    steps (whole epochs, at least `steps`), one CPU thread.
  * `forecaster` — `Forecaster` (LSTM 1×32, Gaussian head, horizon 8, context 2 windows,
    instance normalisation "standard"), `forecaster_steps` steps; score = |y − μ| / σ of
    each step's one-step-ahead forecast (a point outside a calibrated interval).
  * Baselines, in the same run: `zscore` — |x − mean| / std over the previous 100 steps
    (own rule: > 3); `iforest` — scikit-learn `IsolationForest` (100 trees, seeded) on the
    normal-head windows (stride 1), score −`score_samples` averaged over the windows
    covering a step (own rule: > −`offset_` = 0.5, its "auto" contamination);
    `matrix_profile` — `stumpy.stump` AB-join: each test window's z-normalised distance to
    its nearest normal-head window, averaged over the windows covering a step (the
    semi-supervised discord; own rule: the held-out `max`, as it has no rule of its own).
    Every baseline is also scored at the held-out rules.

Metrics (test part only): point-wise precision / recall / F1 of `score > threshold` at the
stored threshold; best point-wise F1 over all thresholds (threshold-free, optimistic); UCR's
top-1 rule (Wu & Keogh 2021): the highest-scoring step lies within 100 steps of a labelled
step (`rs3l_keras.metrics.top1_hit`). Seeds 0, 1, 2 for the learned methods (training
seed; IsolationForest's `random_state`); the z-score and matrix profile are deterministic.

Amended before any learned-method result of the run (the machine's two cores were shared by
~15 other jobs and the first launch could not finish in time): 500 autoencoder steps (was 800),
250 forecaster steps (was 400); seeds run outermost (seed 0 on every series first), one process
per series, and the table reports the seeds that finished by the deadline (the json says which).

Targets (issue 22): F1 at the stored threshold ≥ 0.6 on every series and never below the
best baseline at its own rule; top-1 accuracy ≥ the matrix profile's.

Outcome of the rule choice (appended after the three-seed run of 2026-11-30; nothing above
was changed): `pot`, mean development F1 pot 0.310, quantile 0.308, max 0.301 (a margin
inside the seed spread), now `rs3l_keras.anomaly.DEFAULT_RULE`. Execution note from that run:
the baselines run in their own process (`benchmarks/anomaly.py --baselines-only`), because
after stumpy's numba kernels had run in a process the torch models there trained to other
weights than in a fresh process.

Zero-shot arm (added 2026-11-30 before its run; nothing above changed): `global_zero_shot` —
the `lstm-forecaster-global` preset, **no training on the series**: score = |y − q0.5| /
(q0.95 − q0.05) of each step's one-step-ahead zero-shot forecast from the (at most 96) steps
before it, season length 1 (the same for every series, nothing chosen per series); the
threshold from the held-out 25% of the normal part by the default rule (`pot`), exactly as
`fit` does for the learned methods (the first 75% is only read as history). Deterministic:
one row per series. It is the issue's moonshot direction (a pretrained model on a new series
with no fitting) and its second item (a point outside a calibrated forecast interval).

Window-normalised autoencoder (added 2026-11-30, sixth session, before its run; nothing above
changed): `autoencoder_window_norm` — the `autoencoder` arm exactly (same settings, steps,
seeds, held-out `pot` threshold), with `SequenceAutoencoder(normalization="per_series")`: each
window z-scored over its own steps before the encoder (the `SeriesNormalization` of the
contrastive and CPC objectives), the reconstruction and the score in those window units. The
hypothesis, from the three-seed run: the autoencoder's false alarms on UCR-135 (448–547 normal
test steps above the held-out threshold, seeds 0 and 2) and yahoo (~510 of 600) come from the
level of the series drifting past the normal part's, which a window's own z-score removes (the
matrix profile's z-normalised distance is level-free too). Rule, fixed now: it becomes the
default of `SequenceAutoencoder` if its mean F1 at the stored threshold over the development
series and seeds 0–2 (ucr135, ecg3) beats the `autoencoder` arm's (0.310) by more than 0.05;
the four test series are run once afterwards either way and reported beside the other rows.
Outcome (appended after its run; nothing above changed): development mean 0.323 vs 0.310
(+0.013): not the default.

Cross-fitted calibration (added 2026-11-30, sixth session, before its run; nothing above
changed): `autoencoder_crossfit` — the issue's other calibration ("cross-fitting"), as
cross-conformal prediction does it. The normal part is cut in time into `CROSSFIT_FOLDS` = 4
contiguous folds; for each fold an auxiliary `autoencoder` (the arm's settings and seed) trains
on the stride-1 windows lying wholly in the other three folds, for the same number of gradient
steps, and scores its fold (read alone, as the held-out tail is); the threshold is the default
rule (`pot`) on those out-of-fold scores, which cover the whole normal part (4× the tail's
steps). The model that scores the test part trains on every window of the whole normal part
(same steps), so it also sees the 25% the tail rule keeps out. Control `insample`: the 0.99
quantile of that final model's scores on the normal part. Five trainings per series and seed.
Rule, fixed now: cross-fitting becomes the default calibration of `fit` if the arm's mean F1 at
the stored threshold over the development series and seeds 0–2 beats the `autoencoder` arm's
(0.310, held-out tail) by more than 0.05; the four test series are run once afterwards either
way.
Outcome (appended after its run; nothing above changed): development mean 0.220 vs 0.310
(UCR-135 0.300, ecg3 0.140): `fit` keeps the held-out tail.

A pretrained general autoencoder (added 2026-11-30, sixth session, before its pretraining and
its runs; nothing above changed): the issue's moonshot direction, with the window-normalised
model (a model meant for any series cannot use one series' statistics). `GENERAL_PRESET` is a
`SequenceAutoencoder` of the `autoencoder_window_norm` arm's architecture (LSTM 1×64 encoder
and decoder, 16-d code, `normalization="per_series"`) pretrained by
`zoo/recipes/lstm_autoencoder_general.py` on `ucr_archive.pretraining_pool()`: the TRAIN
splits of the UCR archive without the 15 held-out sets (ECG200 and ECG5000, the spliced
series' sources, among them) and their siblings; no TEST file is opened, and none of the six
series is in the archive's classification sets. Windows of 24, 32, 48 or 64 steps (the
protocol's window lengths, one length per chunk of batches) drawn at random from the pool's
series. Arms, judged against `autoencoder_window_norm` (the same network from scratch, the
same 500 steps):
  * `autoencoder_general` — the preset's weights, then `fit` on the series' normal part
    exactly as `autoencoder_window_norm` (500 steps, Adam 3e-3, held-out tail, `pot`), seeds
    0–2; the fitting time is recorded (the moonshot allows ≤ 1 minute on this CPU);
  * `autoencoder_general_zero_shot` — the preset with no training on the series; threshold
    from the held-out tail by `pot`; deterministic, one row per series.
Reading, fixed now: pretraining helps if `autoencoder_general`'s mean over the six series of
F1 at the stored threshold, and of best F1, are both above `autoencoder_window_norm`'s. The
moonshot also asks to match a model trained from scratch for 10 minutes; that arm is not run
here (18 runs × 10 minutes do not fit a session), so the moonshot can at most be reported as
"matched the same-budget scratch model", never as met.
Outcome (appended after its runs; nothing above changed): means over the six series, F1 at the
stored threshold / best F1, `autoencoder_general` 0.141 / 0.344 vs `autoencoder_window_norm`
0.184 / 0.398: pretraining does not help by this reading. Control added after those rows were
seen (it judges nothing): `autoencoder_untrained_zero_shot`, the zero-shot arm with fresh weights
(seeded), 0.170 / 0.245.

Training budget (added 2026-11-30, seventh session, before its runs; nothing above changed):
`autoencoder_long` — the `autoencoder` arm exactly (normalisation "dataset", held-out tail,
`pot`, seeds 0–2), trained for `LONG_FACTOR` = 10× the gradient steps (5,000: about 1–5 minutes
a model on one CPU thread, the order of the moonshot's 10-minute scratch model). The question:
are the autoencoder's ranking (best F1; ecg3 0.550 vs the matrix profile's 0.817, mitdb 0.199
vs 0.536) and its F1 at the stored threshold limited by its 500-step budget? Rule, fixed now:
the protocol's autoencoder budget (and so the preset's recipe) becomes 5,000 steps if the arm's
mean F1 at the stored threshold over the development series and seeds 0–2 beats the
`autoencoder` arm's 0.310 by more than 0.05; the four test series are run afterwards either
way, with the seeds the session leaves time for (the json says which).
Outcome (appended after the development runs; nothing above changed): development mean 0.366
vs 0.310 (+0.056; UCR-135 0.347 ± 0.335, ecg3 0.385 ± 0.077): the rule is met, narrowly, so the
preset trains the `autoencoder_long` arm (`PRESET_ARM`); the recorded `autoencoder` rows keep
their 500 steps.

The forecaster's budget (added 2026-11-30, seventh session, before its runs; nothing above
changed): `forecaster_long` — the `forecaster` arm exactly, trained for `LONG_FACTOR`× its
gradient steps (2,500), seeds 0–2 on all six series. It asks the budget question of the arm
with the best ranking (top-1 on every series it can hit). No default depends on it (no
forecaster preset detects anomalies); it is read only as evidence for the issue's standing:
its F1 at the stored threshold is reported beside the `forecaster` rows, per series.

Score smoothing (added 2026-12-01, eighth session, before the runs it judges; nothing above
changed): a post-processing of every learned arm's per-step scores, the centred moving average
over `span` steps (`rs3l_keras.anomaly.smooth_scores`), with `span` = w // k for k in
`SMOOTHING_DIVISORS` (w/8, w/4, w/2 of the series' window w: UCR-135 4/8/16, ecg3 8/16/32,
mitdb 8/16/32, yahoo 3/6/12, spliced ECG200 6/12/24, ECG5000 8/16/32). Each part's scores
(test, held-out tail, in-sample head; as `model_scores` reads them) are smoothed on their own,
the average cut at the part's ends, as `detect` would smooth a series it is given; the
threshold is the default rule (`pot`) on the smoothed held-out scores. Why: the matrix profile,
the best baseline on ecg3 and mitdb, averages each window's distance over the steps it covers,
and the labelled anomalies of four series are ranges (12-352 steps); one-step forecast errors
and window reconstruction errors flicker inside them. The spans were drawn after reading seed 0
of the development series (autoencoder, forecaster, forecaster_long); also tried there and
dropped: trailing means, a robust rolling z-score of the scores (median/MAD of the previous 4w),
and the k-NN distance of autoencoder codes to the normal head's. So seed 0 of the development
series is not clean evidence for the span; seeds 1-2 are.
Design: paired. Each arm's model is trained once per (series, seed), in a fresh process
(training in this protocol varies between processes, so rows of different runs differ), and
raw and smoothed scores are read from the same model (`benchmarks/anomaly.py --smoothing`).
Rule, fixed now, per objective (`SequenceAutoencoder`: arms `autoencoder` and
`autoencoder_long`; `Forecaster`: `forecaster` and `forecaster_long`): the span with the highest
development mean F1 at the stored threshold (both arms, UCR-135 and ecg3, seeds 0-2) becomes
the default of that objective's `fit`/`detect` if that mean beats the raw scores' (same models)
by more than 0.05; the four test series are read afterwards for raw and every span, and judge.
Outcome (appended after its runs, 2026-12-01; nothing above changed): development means, raw /
w/8 / w/4 / w/2: `SequenceAutoencoder` 0.342 / 0.429 / 0.444 / 0.409, `Forecaster` 0.530 / 0.656
/ 0.676 / 0.520: w/4 meets the rule for both (+0.102, +0.146), so `anomaly_scores` smooths over
`sequence_length // 4` (autoencoder) and `sequence_length // 8` (forecaster: w/4 of its
two-window context) steps by default (`score_smoothing_divisor`). The gain is ecg3's (autoencoder
0.501 → 0.719, forecaster 0.326 → 0.728, above the matrix profile's 0.675); on UCR-135 the
smoothed autoencoders are no better (0.307 → 0.299, 5,000 steps 0.243 → 0.048). Test series,
w/4 against raw: mitdb forecaster_long 0.097 → 0.379 (the matrix profile: 0.523), yahoo (one-step
anomalies) worse, 0.309 → 0.112, the spliced series 0 either way. The preset keeps its weights
(the arm's seed-0 model of 2026-11-30) and its threshold is re-set with the new default
(`benchmarks/anomaly.py --save-preset ... --recalibrate`): test F1 0.774 (was 0.818 unsmoothed).

Spliced series without joins (added 2026-12-01, ninth session, before any run on them; nothing
above changed): `ecg200_crossfaded`, `ecg5000_crossfaded`. The seventh session's splice report
showed that the join construction has no single clear anomaly: concatenating z-normalised beats
puts a jump at every join (4.2x / 18.7x the median step inside a beat), the z-score's top steps
are joins and the matrix profile ranks the spliced beat's steps 432nd / 1,827th. The issue asks
for UCR classification series with a minority class spliced in, the construction stated; this
one keeps everything of `ecg200_spliced` / `ecg5000_spliced` (the same beats, classes, order,
normal part, insertion after the middle beat, windows 48 / 64) and changes only the joins:
consecutive beats overlap by `fade` = length // 8 steps (ECG200 12, ECG5000 17), mixed there
with linear weights (the earlier beat's weight falls from fade/(fade+1) to 1/(fade+1), the
later one's rises to match: they sum to 1), so beat i starts at step i * (length - fade)
(`crossfade`). The normal part is built the same way from its own beats. Labels: every step the
spliced beat covers, its two overlaps included (`length` steps). Nothing was chosen from a test
beat or a result: the fade is one number for both sets, fixed here from the join/inside step
ratios above (the jump spread over length // 8 steps is of the order of a step inside a beat).
Runs, fixed now: the baselines (`--baselines-only`, their own process), and the four arms of the
smoothing run (`--smoothing`: `autoencoder`, `autoencoder_long`, `forecaster`,
`forecaster_long`, each trained once per seed 0-2, raw and smoothed scores of the same model;
the `_smooth_w4` rows are what `fit`/`detect` now do by default), and `global_zero_shot`. No
default depends on these rows; they replace the join construction as the issue's spliced
series in the standing table (the join rows stay recorded, with the splice report that says why
they are not a fair anomaly), and `splice_report` is run on both constructions.
Outcome (appended after its runs; nothing above changed): the joins are gone (median step across
a join / inside a beat: ECG200 0.231 / 0.124, was 0.579 / 0.137; ECG5000 0.155 / 0.061, was 1.344 /
0.072; the z-score's 100 top steps near a join: 14% and 2%, was 80% and 96%), but the spliced beat
is still not the clearest anomaly: the 2nd / 7th most unlike beat by its nearest normal beat (as
before), the z-score ranks its best step 3rd / 7th, the matrix profile 211th / 811th. F1 at the
stored threshold, best baseline at its own rule: ECG200 matrix profile 0.006, ECG5000 z-score 0.047
(best F1 of every baseline ≤ 0.081); learned, default span (seeds 0-2): ECG200 autoencoder 0.092 ±
0.023 (above every baseline), every other arm ≤ 0.035; ECG5000 every arm ≤ 0.006. Target not met on
either.

A fine-tuned global forecaster (added 2026-12-01, ninth session, before its runs; nothing above
changed): `global_finetuned` — the moonshot's shape with the objective whose zero-shot arm is
already the best learned one on yahoo: the `lstm-forecaster-global` preset (pretrained on
forecasting pools that hold none of these series) fine-tuned on the series' normal head (the
first 75%; the tail calibrates, as for every arm) by its own `fit(head, holdout=False,
epochs=1, steps_per_epoch=FINETUNE_STEPS, batch_size=32, seed=seed)`: `FINETUNE_STEPS` = 250
random windows batches (the `forecaster` arm's budget), the preset's compile defaults (Adam at
the objective's learning rate, global clipnorm 1), its window sampler (horizon 24, season 1).
Scores as `global_zero_shot`'s (|y − q0.5| / (q0.95 − q0.05) of each one-step-ahead forecast,
unsmoothed: `GlobalForecaster`'s default), and from the same model smoothed over w/8, w/4, w/2
(paired, as the smoothing run reads them); every threshold by the default rule (`pot`) on the
held-out tail read after the head. Seeds 0-2 on the eight series; the fitting seconds of each
model are recorded (the moonshot allows at most 60 s on this CPU). Readings, fixed now, over
the six series of the issue's standing table (ucr135, ecg3, mitdb, yahoo, ecg200_crossfaded,
ecg5000_crossfaded): (1) fine-tuning helps if the arm's mean F1 at the stored threshold (its
default, unsmoothed) is above `global_zero_shot`'s; (2) the moonshot: it is "as accurate as
the longest model trained from scratch here" if its mean F1 at the stored threshold and its
mean best F1 are both at least those of `forecaster_long` at its default smoothing
(`forecaster_long_smooth_w4`: 2,500 steps, about 40 s; the 10-minute scratch model the issue
names is not run, so the moonshot can at most be reported as matched against that arm, and
only if every fitting took at most 60 s). No default and no preset depend on these rows.
Outcome (appended after its runs; nothing above changed): fitting 8-21 s a model (mean 10.6).
Means over the six series, F1 at the stored threshold / best F1: `global_finetuned` 0.118 / 0.375,
`global_zero_shot` 0.168 / 0.272, `forecaster_long_smooth_w4` 0.283 / 0.432. (1) Fine-tuning does
not help by the reading (0.118 < 0.168), though it ranks better (UCR-135 best F1 0.842 vs 0.333,
yahoo 1.000 in every seed), because its held-out thresholds flag too much: 24-240 test steps on UCR-135
(12 anomalous) and 43-196 on yahoo (7).
(2) The moonshot is not met (0.118 < 0.283, 0.375 < 0.432).

Calibration on the training part too (added 2026-12-01, ninth session, before the runs it
judges; nothing above changed). Why: the held-out tail is short (300 steps on UCR-135, 100 on
yahoo), and where a model does not fit its training steps much better than unseen ones its
scores there are a larger sample of the same tail. Seen before this was written, so the
development rows are not clean evidence for it: the `insample` control's F1 at the default
smoothing in the smoothing run's development rows (the forecasters' 0.99 quantile of their
training steps' scores lies above the held-out `pot` threshold on UCR-135 and beats it there;
the autoencoders' lies below it on ecg3, where they fit their training windows closely).
Candidates, on the scores `model_scores` reads (held-out tail; in-sample head, which the model
trained on), each smoothed as the arm's default: `pot_max` = the larger of `pot` on the tail and
`pot` on the head (the head can only raise the threshold, so a model that fits its training
steps closely keeps the tail's); `pot_pooled` = `pot` on the tail and the head together.
Design: paired, the smoothing run's arms (`autoencoder`, `autoencoder_long`, `forecaster`,
`forecaster_long`) retrained once per (series, seed) in fresh processes, every rule read from
the same scores; the series' `_smooth_w4` rows (the default span of both objectives) decide,
the raw rows are reported; `global_finetuned` is read too (unsmoothed: its default), judging
nothing. Rule, fixed now, per objective (`SMOOTHING_ARMS`): the candidate with the higher
development mean F1 (both arms, UCR-135 and ecg3, seeds 0-2, at the default span) becomes that
objective's default rule of `fit` if it beats `pot`'s mean on the same rows by more than 0.05;
the six other series are read afterwards and judge. Command: `benchmarks/anomaly.py --smoothing
--json benchmarks/anomaly_calibration.json` (with `global_finetuned` in `--arms`).
Outcome (appended after its runs; nothing above changed): the 480 rows reproduce the recorded
smoothing and `global_finetuned` rows exactly (the same models). Development means, pot / pot_max /
pot_pooled: `SequenceAutoencoder` 0.444 / 0.617 / 0.686, `Forecaster` 0.676 / 0.121 / 0.164 (the
forecasters' head scores run high: their first steps are read without history). So `pot_pooled`
is `SequenceAutoencoder.threshold_rule` (+0.242; UCR-135 0.299 → 0.686 and 0.048 → 0.623, ecg3
unchanged), the `Forecaster` keeps `pot`, and the arms pin `ARM_RULE` = "pot". The other six series
do not confirm it: no autoencoder row rises, and ECG200 crossfaded falls (0.092 → 0.000). Read
beside them, judging nothing: `global_finetuned` with `pot_pooled`, UCR-135 0.701, yahoo 0.775 ±
0.207 (`pot`: 0.385, 0.183). The preset's threshold is re-set with the new default (weights kept):
test F1 0.727 (0.774 with `pot` on the tail).

The training head read with its history (added 2026-12-01, tenth session, before the runs it
judges; nothing above changed). The ninth session's forecaster rows read the in-sample head
whole: its first `anomaly_context` steps were scored from a cut-off history (the forecaster's
first season scores 0, the rest reads a window padded with missing values), unlike any other
step. A defect of the candidates as built, not of pooling: `scores_with_history` now scores the
head's steps after its first `anomaly_context` with those as history, in `model_scores` (so in
`insample`, `pot_max`, `pot_pooled`) and in `fit_threshold`'s `"pot_pooled"`. The autoencoders'
scores do not change (`anomaly_context` 0), so their rows and their rule stand and are not rerun.
Rerun: the forecaster arms (`forecaster`, `forecaster_long`) and `global_finetuned` (read beside,
judging nothing), all eight series, seeds 0-2, the same design and the same rule for the
`Forecaster`: the better candidate's development mean F1 (both arms, UCR-135 and ecg3, seeds
0-2, default span w/4) must beat `pot`'s by more than 0.05 to become `Forecaster.threshold_rule`;
the six other series are read afterwards and judge. Command: `benchmarks/anomaly.py --smoothing
--arms forecaster forecaster_long global_finetuned --json benchmarks/anomaly_calibration_history.json`.
Outcome (appended after its runs; nothing above changed): the 288 rows' `pot` thresholds and best
F1 equal the ninth session's to 1e-9 (the same models). Read with history, the forecasters' head
no longer lifts the pooled threshold out of reach (UCR-135 `forecaster`: `pot_pooled` 0.000 ->
0.771). Development means at w/4, pot / pot_max / pot_pooled: `Forecaster` 0.676 / 0.716 / 0.679.
The rule needs more than 0.05: not met (+0.040), so the `Forecaster` keeps `pot`. On the other
six series `pot_max` moves the forecaster arms by -0.05 to +0.13 (yahoo `forecaster` 0.148 ->
0.211, mitdb 0.162 -> 0.114). Read beside, judging nothing: `global_finetuned` (unsmoothed) with
`pot_max` / `pot_pooled`: UCR-135 0.723 / 0.701, yahoo 0.916 / 0.900 (z-score 0.923), ecg3 0.056.

The fine-tuned global forecaster's own rule (added 2026-12-01, tenth session, before the runs it
judges; nothing above changed). A user who fine-tunes `lstm-forecaster-global` with `fit` gets
`GlobalForecaster.threshold_rule` (`pot`), and its held-out tail of 100-300 steps flags 24-240
test steps. Disclosed: every seed 0-2 row of `global_finetuned` has been read, on all eight
series. So the rule is the ninth session's, applied to `GlobalForecaster` on the development
rows only (arm `global_finetuned`, unsmoothed, its default; UCR-135 and ecg3, seeds 0-2):
pot 0.260, pot_max 0.389, pot_pooled 0.378, so `pot_max` (+0.129 > 0.05) is the candidate; and
because the other series' seed 0-2 rows were seen, the verdict is read on new seeds 3, 4 and 5,
all eight series, the same arm, rows no one has seen (`--smoothing --arms global_finetuned
--seeds 3 4 5 --json benchmarks/anomaly_global_rule.json`). It becomes the default only if, on
seeds 3-5, its mean F1 over the six series that are not development series (mitdb, yahoo, both
crossfaded, both spliced) is above `pot`'s, and its development mean is above `pot`'s by more
than 0.05 again; then `anomaly.THRESHOLD_RULES` gains `"pot_max"` (the larger of `pot` on the
held-out tail and `pot` on the training head read with its history, a training rule like
`"pot_pooled"`) and `GlobalForecaster.threshold_rule` is `"pot_max"`; otherwise nothing changes.
The moonshot keeps its reading above (best F1 does not depend on the rule).
Outcome (appended after its runs; nothing above changed): on seeds 3-5, mean F1 at each rule's
threshold, pot / pot_max / pot_pooled: the six other series 0.024 / 0.121 / 0.115 (the first
condition holds: yahoo 0.135 -> 0.725 +- 0.146, 101 -> 12 steps flagged against 7 anomalies);
the development series 0.276 / 0.308 / 0.299 (+0.032: the second fails; UCR-135 0.441 -> 0.540,
ecg3 0.110 -> 0.076). Not met: `GlobalForecaster` keeps `pot` and no rule is added. Fitting took
7-12 s a model; mean best F1 on the standing six 0.369 (seeds 3-5).
"""

import importlib.util
import math
import pathlib
import time

import numpy as np

from rs3l_keras import anomaly, metrics
from rs3l_keras.validation import check_one_of

SERIES_NAMES = (
    "ucr135",
    "ecg3",
    "mitdb",
    "yahoo",
    "ecg200_spliced",
    "ecg5000_spliced",
    "ecg200_crossfaded",
    "ecg5000_crossfaded",
)
DEV_SERIES = ("ucr135", "ecg3")
WINDOWS = {
    "ucr135": 32,
    "ecg3": 64,
    "mitdb": 64,
    "yahoo": 24,
    "ecg200_spliced": 48,
    "ecg5000_spliced": 64,
    "ecg200_crossfaded": 48,
    "ecg5000_crossfaded": 64,
}
#: The UCR set each spliced series is built from, and how many majority beats its normal part holds.
SPLICED_SOURCES = {"ecg200": ("ECG200", None), "ecg5000": ("ECG5000", 60)}
#: The crossfaded series' overlap of consecutive beats: the beat length // `FADE_DIVISOR` steps.
FADE_DIVISOR = 8
HELD_OUT_RULES = ("max", "quantile", "pot")
CROSSFIT_FOLDS = 4
#: `autoencoder_long` trains for this many times the protocol's gradient steps.
LONG_FACTOR = 10
#: The arm the `lstm-autoencoder-ucr135` preset is trained by (`benchmarks/anomaly.py
#: --save-preset`), and its gradient steps: chosen by the training-budget rule above.
PRESET_ARM = "autoencoder_long"
#: The pretrained general autoencoder of the `autoencoder_general*` arms: the directory that
#: `zoo/recipes/lstm-autoencoder-general.sh` writes (not a registered preset: its arms showed no
#: gain over the same network trained from scratch, benchmarks/RESULTS.md).
GENERAL_PRESET = "runs/lstm-autoencoder-general/preset"
#: The rule every arm's `fit` stores (`own`), pinned so that each arm keeps its meaning whatever
#: an objective's default (`SequenceAutoencoder`'s is "pot_pooled" since the ninth session).
ARM_RULE = anomaly.DEFAULT_RULE
#: Every rule of `thresholds`' plain set: the held-out rules and the in-sample control.
RULES = (*HELD_OUT_RULES, "insample")
#: Calibration rules that read the training part's scores too (the ninth session's candidates).
CALIBRATION_CANDIDATES = ("pot_max", "pot_pooled")
#: Score smoothing spans of the smoothing arms: the centred moving average over window // k steps.
SMOOTHING_DIVISORS = (8, 4, 2)
#: The arms whose scores the smoothing rule reads, by the objective whose default it sets.
SMOOTHING_ARMS = {
    "SequenceAutoencoder": ("autoencoder", "autoencoder_long"),
    "Forecaster": ("forecaster", "forecaster_long"),
}
SKTIME_INSTALL = "pip install --no-deps sktime==1.2.0 (`make` installs it: its data files are read, never imported)"
CONFIG = dict(
    hidden_dim=64,
    code_dim=16,
    batch_size=32,
    learning_rate=3e-3,
    steps=500,
    holdout=anomaly.DEFAULT_HOLDOUT,
    quantile=0.99,
    risk=1e-4,
    zscore_window=100,
    zscore_rule=3.0,
    forecaster_hidden_dim=32,
    forecaster_horizon=8,
    forecaster_steps=250,
    finetune_steps=250,
    iforest_trees=100,
    top1_margin=100,
)


# -- series -------------------------------------------------------------------------------------
def _sktime_csv(name):
    spec = importlib.util.find_spec("sktime")
    if spec is None:
        raise ImportError(f"The `{name}` series ships in sktime 1.2.0: {SKTIME_INSTALL}.")
    path = pathlib.Path(spec.origin).parent / "datasets" / "data" / name / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: {SKTIME_INSTALL}.")
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype="float64")
    return table[:, :1].astype("float32"), table[:, 1].astype("int32")


def spliced_beats(name, n_normal=None):
    """`(normal_beats, test_beats, odd)` of a UCR classification set: the first `n_normal`
    TRAIN series of the majority class, the first as many TEST series of it with the first
    TEST series of the least frequent TRAIN class inserted after the middle one, at index
    `odd` (the construction in the module docstring). Only TRAIN series are normal beats."""
    from rs3l_keras.data import ucr_archive

    train, train_labels = ucr_archive.load(name, "train")
    test, test_labels = ucr_archive.load(name, "test")
    counts = np.bincount(train_labels)
    majority, minority = int(np.argmax(counts)), int(np.argmin(counts))
    normal = [s for s, c in zip(train, train_labels) if c == majority][:n_normal]
    pieces = [s for s, c in zip(test, test_labels) if c == majority][: len(normal)]
    odd = len(pieces) // 2
    pieces.insert(odd, next(s for s, c in zip(test, test_labels) if c == minority))
    return normal, pieces, odd


def spliced(name, n_normal=None):
    """`(normal, test, test_labels)` of a UCR classification set with its least frequent
    TRAIN class spliced into the majority class, the beats concatenated (`spliced_beats`)."""
    normal, pieces, odd = spliced_beats(name, n_normal)
    labels = np.concatenate([np.full(len(p), int(i == odd), "int32") for i, p in enumerate(pieces)])
    return np.concatenate(normal), np.concatenate(pieces), labels


def crossfade(beats, fade):
    """`beats` (equal-length `(length, channels)` arrays) joined without jumps: consecutive
    beats overlap by `fade` steps, mixed there with linear weights that sum to 1 (the earlier
    beat's falling from fade/(fade+1) to 1/(fade+1)); beat i starts at step i * (length - fade)."""
    length = len(beats[0])
    if not 0 <= fade < length // 2 or any(len(b) != length for b in beats):
        raise ValueError(f"`fade` must be in [0, {length // 2}) for beats of {length} steps of one length; got {fade}.")
    rise = (np.arange(1, fade + 1, dtype="float64") / (fade + 1))[:, None]
    stride = length - fade
    out = np.zeros(((len(beats) - 1) * stride + length, beats[0].shape[1]), "float64")
    for i, beat in enumerate(beats):
        weights = np.ones((length, 1))
        if i > 0:
            weights[:fade] = rise
        if i < len(beats) - 1:
            weights[length - fade :] = 1 - rise
        out[i * stride : i * stride + length] += weights * beat
    return out.astype("float32")


def crossfaded(name, n_normal=None):
    """`(normal, test, test_labels)`: the beats of `spliced` joined by `crossfade` over
    length // `FADE_DIVISOR` steps; the labels are the `length` steps the spliced beat covers."""
    normal, pieces, odd = spliced_beats(name, n_normal)
    length = len(pieces[0])
    fade = length // FADE_DIVISOR
    test = crossfade(pieces, fade)
    labels = np.zeros(len(test), "int32")
    labels[odd * (length - fade) : odd * (length - fade) + length] = 1
    return crossfade(normal, fade), test, labels


def load_series(name):
    """`(normal (n, 1), test (m, 1), test_labels (m,))` float32/int32 of one benchmark series."""
    check_one_of(name, "name", list(SERIES_NAMES))
    if name == "ucr135":
        from rs3l_keras.data.series import load_kdd_tsad_135

        normal, _ = load_kdd_tsad_135("train")
        full, labels = load_kdd_tsad_135("test")
        return normal, full[len(normal) :], labels[len(normal) :]
    if name == "ecg3":
        import warnings

        from aeon.datasets import load_ecg_diff_count_3

        with warnings.catch_warnings():  # deprecated in aeon 1.6 (removed in 1.7; aeon is pinned)
            warnings.simplefilter("ignore", FutureWarning)
            test, labels, normal, _ = load_ecg_diff_count_3("semi-supervised")
        return normal.astype("float32")[:, None], test.astype("float32")[:, None], labels.astype("int32")
    if name in ("mitdb", "yahoo"):
        values, labels = _sktime_csv(name)
        cut = {"mitdb": 3000, "yahoo": 400}[name]
        if labels[:cut].any():
            raise ValueError(f"{name}: the normal part (steps 0-{cut - 1}) holds labelled anomalies.")
        return values[:cut], values[cut:], labels[cut:]
    source, construction = name.split("_")
    return {"spliced": spliced, "crossfaded": crossfaded}[construction](*SPLICED_SOURCES[source])


def splice_report(name, near=5):
    """Why a spliced series is hard, from the two deterministic baselines (no learned model):
    the median step across the joins of consecutive beats vs inside them (a join: the step from
    one beat to the next, or, crossfaded, the steps into, through and out of the overlap), and,
    for the matrix profile and the z-score, the rank of the best-scoring anomalous test step and
    the share of the 100 top-scoring test steps within `near` steps of a join's centre (beside
    that share for all steps). Runs stumpy: call it in a process that trains nothing
    (`benchmarks/anomaly.py`)."""
    check_one_of(name, "name", [n for n in SERIES_NAMES if n.split("_")[0] in SPLICED_SOURCES])
    normal, test, labels = load_series(name)
    source, construction = name.split("_")
    normal_beats, test_beats, odd = spliced_beats(*SPLICED_SOURCES[source])
    length = len(test_beats[0])
    fade = length // FADE_DIVISOR if construction == "crossfaded" else 0
    window, where = WINDOWS[name], np.flatnonzero(labels)
    head, tail = anomaly.holdout_split(normal, CONFIG["holdout"], window)
    steps = np.abs(np.diff(test[:, 0]))
    starts = np.arange(1, len(test_beats)) * (length - fade)  # where beats 1, 2, ... begin
    # The step from t to t + 1 is in a join for t from a beat's start - 1 to start + fade - 1.
    joins = (starts[:, None] + np.arange(-1, fade)[None, :]).ravel()
    centres = starts + (fade - 1) / 2
    distance = np.min(np.abs(np.arange(len(test))[:, None] - centres[None, :]), axis=1)
    report = {
        "series": name,
        "test_steps": len(test),
        "fade": fade,
        "anomaly": [int(where[0]), int(where[-1])],
        "median_step_across_joins": float(np.median(steps[joins])),
        "median_step_inside_beats": float(np.median(np.delete(steps, joins))),
        "share_of_all_steps_near_a_join": float(np.mean(distance <= near)),
    }
    # Beat level, the construction's own unit (the beats before any join): each test beat's
    # Euclidean distance to its nearest normal beat; the spliced beat's rank (1 = the most unlike).
    beats, references = (np.stack([b[:, 0] for b in part]) for part in (test_beats, normal_beats))
    nearest = np.sqrt(((beats[:, None, :] - references[None, :, :]) ** 2).sum(-1)).min(axis=1)
    report["rank_of_spliced_beat_by_nearest_normal_beat"] = int((nearest > nearest[odd]).sum()) + 1
    report["test_beats"] = len(beats)
    for method, scores in (
        ("matrix_profile", matrix_profile_scores(head, tail, test, window)[0]),
        ("zscore", zscore_scores(head, tail, test, window)[0]),
    ):
        report[method] = {
            "rank_of_best_anomalous_step": int((scores > scores[where].max()).sum()) + 1,
            "share_of_top100_near_a_join": float(np.mean(distance[np.argsort(-scores)[:100]] <= near)),
        }
    return report


# -- methods: each returns (test step scores, held-out normal scores, in-sample scores) ---------------
def _window_matrix(values, length):
    windows = np.lib.stride_tricks.sliding_window_view(values[:, 0], length)  # (n - length + 1, length)
    return windows, np.arange(len(windows))


def zscore_scores(head, tail, test, window):
    """Rolling z-score of each part, read with the steps before it as history."""
    w = CONFIG["zscore_window"]
    normal = np.concatenate([head, tail])
    on_normal = metrics.rolling_zscore(normal, w)
    on_test = metrics.rolling_zscore(np.concatenate([normal[-w:], test]), w)[w:]
    return on_test, on_normal[len(head) :], on_normal[: len(head)]


def iforest_scores(head, tail, test, window, seed):
    from sklearn.ensemble import IsolationForest

    mean, std = float(head.mean()), float(head.std()) + 1e-8
    forest = IsolationForest(n_estimators=CONFIG["iforest_trees"], random_state=seed)
    forest.fit(_window_matrix((head - mean) / std, window)[0])

    def score(part):
        windows, starts = _window_matrix((part - mean) / std, window)
        return anomaly.steps_from_windows(-forest.score_samples(windows), starts, window, len(part))

    return score(test), score(tail), score(head), float(-forest.offset_)


def matrix_profile_scores(head, tail, test, window):
    import stumpy

    reference = head[:, 0].astype("float64")

    def score(part):
        profile = stumpy.stump(part[:, 0].astype("float64"), window, T_B=reference, ignore_trivial=False)
        distance = np.asarray(profile[:, 0], "float64")
        return anomaly.steps_from_windows(distance, np.arange(len(distance)), window, len(part))

    in_sample = stumpy.stump(reference, window)  # self-join: the nearest non-trivial match
    in_sample = anomaly.steps_from_windows(
        np.asarray(in_sample[:, 0], "float64"), np.arange(len(in_sample)), window, len(head)
    )
    return score(test), score(tail), in_sample


def _gradient_epochs(n_windows, steps, batch_size):
    return max(1, math.ceil(steps / math.ceil(n_windows / batch_size)))


def compiled(model):
    """`model` compiled with the protocol's optimizer (Adam, global norm clipping 1)."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(CONFIG["learning_rate"], global_clipnorm=1.0))
    return model


def new_autoencoder(window, seed, normalization="dataset"):
    """The protocol's `SequenceAutoencoder` (LSTM 1×64 encoder and decoder, 16-d code), seeded
    and compiled. `normalization`: the arm's (`autoencoder`: "dataset",
    `autoencoder_window_norm`: "per_series"), passed explicitly so each arm keeps its meaning
    whatever the default; its scores unsmoothed (`score_smoothing=1`, likewise: the smoothing
    arms smooth them in `run_smoothing`); `fit_default` pins its threshold rule (`ARM_RULE`)."""
    import keras

    from rs3l_keras.backbones import RNNBackbone
    from rs3l_keras.objectives.sequence_autoencoder import SequenceAutoencoder

    keras.utils.set_random_seed(seed)
    backbone = RNNBackbone(input_dim=1, hidden_dim=CONFIG["hidden_dim"])
    model = SequenceAutoencoder(
        backbone, code_dim=CONFIG["code_dim"], sequence_length=window, normalization=normalization, score_smoothing=1
    )
    return compiled(model)


def with_scoring_defaults(model, normal, window):
    """`model` (fitted on `normal` with the arms' pinned `score_smoothing=1` and `ARM_RULE`)
    set to its objective's default smoothing, its threshold re-set as `fit` sets it: the
    objective's default rule (`threshold_rule`) on the smoothed scores of the held-out tail,
    read after the head (the training head's too, for `"pot_pooled"`). Returns the model."""
    head, tail = anomaly.holdout_split(normal, CONFIG["holdout"], window)
    model.score_smoothing = None
    model.fit_threshold(tail, holdout=CONFIG["holdout"], context=head)
    return model


def fit_default(model, normal, window, seed, steps=None):
    """`fit` on one normal series the default way (the tail held out for the threshold, by the
    pinned `ARM_RULE`), for `steps` gradient steps (default: the protocol's) of batches of
    `window`-step training examples (the forecaster's: context + horizon); returns the model."""
    head, _ = anomaly.holdout_split(normal, CONFIG["holdout"], window)
    epochs = _gradient_epochs(len(head) - window + 1, steps or CONFIG["steps"], CONFIG["batch_size"])
    model.fit(
        normal,
        epochs=epochs,
        batch_size=CONFIG["batch_size"],
        seed=seed,
        verbose=0,
        holdout=CONFIG["holdout"],
        threshold_rule=ARM_RULE,
    )
    return model


def arm_steps(name):
    """Gradient steps of an autoencoder arm: `autoencoder_long` trains `LONG_FACTOR`× the
    protocol's `steps`, the others the protocol's."""
    return CONFIG["steps"] * (LONG_FACTOR if name == "autoencoder_long" else 1)


def autoencoder(normal, window, seed, normalization="dataset", steps=None):
    """A `SequenceAutoencoder` fitted the default way (`fit` holds the tail out); returns the model."""
    return fit_default(new_autoencoder(window, seed, normalization), normal, window, seed, steps)


def forecaster(normal, window, seed, steps=None):
    """A Gaussian `Forecaster` fitted the default way with `holdout` (its tail calibrates), for
    `steps` gradient steps (default: the protocol's `forecaster_steps`)."""
    import keras

    from rs3l_keras.backbones import RNNBackbone
    from rs3l_keras.objectives.forecaster import Forecaster

    keras.utils.set_random_seed(seed)
    horizon, context = CONFIG["forecaster_horizon"], 2 * window
    backbone = RNNBackbone(input_dim=1, hidden_dim=CONFIG["forecaster_hidden_dim"])
    model = compiled(Forecaster(backbone, horizon=horizon, sequence_length=context, score_smoothing=1))
    return fit_default(model, normal, context + horizon, seed, steps or CONFIG["forecaster_steps"])


def autoencoder_crossfit(normal, window, seed, folds=CROSSFIT_FOLDS):
    """The cross-fitted arm: `(model, out_of_fold_scores)`. `model` trains on every window of
    `normal` (no hold-out); each of `folds` contiguous folds is scored by an auxiliary model
    trained on the windows wholly inside the other folds (same settings, seed and steps)."""

    def trained(windows):
        model = new_autoencoder(window, seed)
        epochs = _gradient_epochs(len(windows), CONFIG["steps"], CONFIG["batch_size"])
        model.fit(windows, epochs=epochs, batch_size=CONFIG["batch_size"], seed=seed, verbose=0)
        return model

    edges = np.linspace(0, len(normal), folds + 1).astype(int)
    out_of_fold = []
    for k in range(folds):
        others = [normal[edges[0] : edges[k]], normal[edges[k + 1] : edges[-1]]]
        out_of_fold.append(trained(windows_within(others, window)).anomaly_scores(normal[edges[k] : edges[k + 1]]))
    return trained(windows_within([normal], window)), np.concatenate(out_of_fold)


def windows_within(parts, window):
    """Every stride-1 window `(n, window, channels)` lying wholly inside one of `parts`
    (`(time_i, channels)` arrays): none straddles the gap where a fold was cut out."""
    return np.concatenate(
        [np.lib.stride_tricks.sliding_window_view(p, window, axis=0) for p in parts if len(p) >= window]
    ).transpose(0, 2, 1)


def general_autoencoder(window, preset=None, weights=True):
    """The pretrained general autoencoder (`GENERAL_PRESET`) set to the series' window, compiled
    with the protocol's optimizer (`weights=False`: its untrained twin, the control)."""
    import keras

    from rs3l_keras.zoo import load_pretrained

    if not weights:
        keras.utils.set_random_seed(0)  # the control's fresh weights, the same in every run
    model = load_pretrained(preset or GENERAL_PRESET, weights=weights, compile=False)
    model.sequence_length = window  # training windows and scoring windows of this series
    model.score_smoothing = 1  # unsmoothed, as every arm's
    return compiled(model)


def autoencoder_general(normal, window, seed, preset=None):
    """The preset's weights fitted on `normal` exactly as the `autoencoder_window_norm` arm
    (same steps, optimizer and held-out calibration); returns the model."""
    import keras

    keras.utils.set_random_seed(seed)
    return fit_default(general_autoencoder(window, preset), normal, window, seed)


def autoencoder_general_zero_shot(normal, window, preset=None, weights=True):
    """The preset with no training on the series; its threshold from the held-out tail
    (`weights=False`: the untrained twin, the `autoencoder_untrained_zero_shot` control)."""
    model = general_autoencoder(window, preset, weights)
    head, tail = anomaly.holdout_split(normal, CONFIG["holdout"], window)
    model.fit_threshold(tail, rule=ARM_RULE, context=head)
    return model


def global_zero_shot(normal, window, preset="lstm-forecaster-global"):
    """The zero-shot arm: the pretrained global forecaster, no training; its threshold from
    the held-out tail of `normal` by the default rule (the head only read as history)."""
    from rs3l_keras.zoo import load_pretrained

    model = load_pretrained(preset)
    head, tail = anomaly.holdout_split(normal, CONFIG["holdout"], window)
    model.fit_threshold(tail, context=head)
    return model


def global_finetuned(normal, window, seed, preset="lstm-forecaster-global", steps=None):
    """The pretrained global forecaster fine-tuned on the normal head by its own `fit`
    (`steps` batches of random windows, default the protocol's `finetune_steps`, its compile
    defaults), its threshold from the held-out tail by the default rule; returns the model."""
    import keras

    from rs3l_keras.zoo import load_pretrained

    keras.utils.set_random_seed(seed)
    model = load_pretrained(preset)
    head, tail = anomaly.holdout_split(normal, CONFIG["holdout"], window)
    steps = steps or CONFIG["finetune_steps"]
    model.fit(head[:, 0], holdout=False, epochs=1, steps_per_epoch=steps, batch_size=32, seed=seed, verbose=0)
    model.fit_threshold(tail, context=head)
    return model


#: The methods trained on each series, by name: `(normal, window, seed)` → a fitted model.
TRAINED = {
    "autoencoder": autoencoder,
    "autoencoder_window_norm": lambda normal, window, seed: autoencoder(normal, window, seed, "per_series"),
    "forecaster": forecaster,
    "autoencoder_general": autoencoder_general,
    "autoencoder_long": lambda normal, window, seed: autoencoder(
        normal, window, seed, steps=arm_steps("autoencoder_long")
    ),
    "forecaster_long": lambda normal, window, seed: forecaster(
        normal, window, seed, steps=LONG_FACTOR * CONFIG["forecaster_steps"]
    ),
    "global_finetuned": global_finetuned,
}
#: Methods with no training on the series, by name: `(normal, window)` → a model with its
#: threshold (one deterministic row per series).
ZERO_SHOT = {
    "global_zero_shot": global_zero_shot,
    "autoencoder_general_zero_shot": autoencoder_general_zero_shot,
    "autoencoder_untrained_zero_shot": lambda normal, window: autoencoder_general_zero_shot(
        normal, window, weights=False
    ),
}


def model_scores(model, head, tail, test):
    """Test, held-out and in-sample scores of a fitted objective, each part read after the
    `anomaly_context` steps before it and smoothed on its own by the model's
    `anomaly_smoothing` (`scores_after`, as `fit_threshold` calibrated). The in-sample scores
    are the head's steps after its first `anomaly_context` (`scores_with_history`; the whole
    head before the tenth session, so the forecasters' first steps were read without history)."""
    return (
        model.scores_after(test, np.concatenate([head, tail])),
        model.scores_after(tail, head),
        model.scores_with_history(head, name="head"),
    )


# -- metrics ------------------------------------------------------------------------------------
def thresholds(held_out, in_sample):
    """Every rule's threshold from held-out (and, for the control, in-sample) normal scores,
    and the candidates that also read the training part (`CALIBRATION_CANDIDATES`)."""
    out = {
        rule: anomaly.threshold_from_scores(held_out, rule, CONFIG["quantile"], CONFIG["risk"])
        for rule in HELD_OUT_RULES
    }
    out["insample"] = anomaly.threshold_from_scores(in_sample, "quantile", CONFIG["quantile"])
    on_head = anomaly.threshold_from_scores(in_sample, "pot", risk=CONFIG["risk"])
    out["pot_max"] = max(out["pot"], on_head)
    out["pot_pooled"] = anomaly.threshold_from_scores(
        held_out, "pot_pooled", risk=CONFIG["risk"], training_scores=in_sample
    )
    return out


def score_report(labels, scores, rule_thresholds):
    """Point P/R/F1 at each threshold, best F1 and the top-1 rule on the test part."""
    row = {
        "best_f1": metrics.best_f1(labels, scores)["f1"],
        "top1_hit": metrics.top1_hit(labels, scores, CONFIG["top1_margin"]),
        "peak_step": int(np.argmax(scores)),
    }
    for rule, threshold in rule_thresholds.items():
        flagged = scores > threshold
        row[rule] = {
            "threshold": float(threshold),
            "flagged": int(flagged.sum()),
            **metrics.precision_recall_f1(labels, flagged),
        }
    return row


def run_series(name, seeds, methods=("autoencoder", "forecaster"), log=None, deterministic=True):
    """Every method on one series: a list of rows `{series, method, seed, ...score_report}`
    (`deterministic`: also the seedless baselines, z-score and matrix profile)."""
    normal, test, labels = load_series(name)
    window = WINDOWS[name]
    head, tail = anomaly.holdout_split(normal, CONFIG["holdout"], window)
    info = {
        "series": name,
        "window": window,
        "normal_steps": len(normal),
        "test_steps": len(test),
        "anomalous_steps": int(labels.sum()),
    }
    rows = []

    def add(method, seed, test_scores, held, in_sample, extra=None, seconds=None):
        rule_thresholds = thresholds(held, in_sample)
        rule_thresholds.update(extra or {})
        row = {**info, "method": method, "seed": seed, **score_report(labels, test_scores, rule_thresholds)}
        if seconds is not None:
            row["seconds"] = round(seconds, 1)
        rows.append(row)
        if log:
            log(row)

    if deterministic:
        z_test, z_held, z_in = zscore_scores(head, tail, test, window)
        add("zscore", None, z_test, z_held, z_in, {"own": CONFIG["zscore_rule"]})
        begin = time.time()
        mp_test, mp_held, mp_in = matrix_profile_scores(head, tail, test, window)
        add("matrix_profile", None, mp_test, mp_held, mp_in, {"own": float(mp_held.max())}, time.time() - begin)
    for method in [m for m in methods if m in ZERO_SHOT]:  # no training, no seed: one row
        begin = time.time()
        model = ZERO_SHOT[method](normal, window)
        seconds = time.time() - begin
        test_scores, held, in_sample = model_scores(model, head, tail, test)
        add(method, None, test_scores, held, in_sample, {"own": model.anomaly_threshold}, seconds)
    methods = [m for m in methods if m not in ZERO_SHOT]
    for seed in seeds:
        begin = time.time()
        if_test, if_held, if_in, offset = iforest_scores(head, tail, test, window, seed)
        add("iforest", seed, if_test, if_held, if_in, {"own": offset}, time.time() - begin)
        for method in methods:
            begin = time.time()
            if method == "autoencoder_crossfit":  # the threshold from out-of-fold scores of the whole normal part
                model, held = autoencoder_crossfit(normal, window, seed)
                own = anomaly.threshold_from_scores(held, anomaly.DEFAULT_RULE, CONFIG["quantile"], CONFIG["risk"])
                test_scores, in_sample = model.anomaly_scores(test), model.anomaly_scores(normal)
                add(method, seed, test_scores, held, in_sample, {"own": own}, time.time() - begin)
                continue
            model = TRAINED[method](normal, window, seed)
            seconds = time.time() - begin
            test_scores, held, in_sample = model_scores(model, head, tail, test)
            # `own`: the threshold `fit` stored (the default rule), which `detect` uses.
            add(method, seed, test_scores, held, in_sample, {"own": model.anomaly_threshold}, seconds)
    return rows


def smoothing_label(arm, divisor):
    """The method name of `arm`'s scores smoothed over window // `divisor` steps (None: raw)."""
    return arm if divisor is None else f"{arm}_smooth_w{divisor}"


def run_smoothing(name, seed, arms, log=None):
    """The paired smoothing arms on one series and seed: each of `arms` trained once, its raw
    scores and their smoothings over window // k steps (k in `SMOOTHING_DIVISORS`) scored
    with the default rule on the held-out tail smoothed the same way. Rows as `run_series`'."""
    normal, test, labels = load_series(name)
    window = WINDOWS[name]
    head, tail = anomaly.holdout_split(normal, CONFIG["holdout"], window)
    info = {"series": name, "window": window, "normal_steps": len(normal), "test_steps": len(test)}
    rows = []
    for arm in arms:
        begin = time.time()
        model = TRAINED[arm](normal, window, seed)
        seconds = time.time() - begin
        raw = model_scores(model, head, tail, test)
        for divisor in (None, *SMOOTHING_DIVISORS):
            span = 1 if divisor is None else max(1, window // divisor)
            test_scores, held, in_sample = (anomaly.smooth_scores(part, span) for part in raw)
            rule_thresholds = thresholds(held, in_sample)
            rule_thresholds["own"] = rule_thresholds[anomaly.DEFAULT_RULE]
            row = {**info, "method": smoothing_label(arm, divisor), "arm": arm, "span": span, "seed": seed}
            row.update(score_report(labels, test_scores, rule_thresholds), seconds=round(seconds, 1))
            rows.append(row)
            if log:
                log(row)
    return rows


def choose_smoothing(rows):
    """Per objective of `SMOOTHING_ARMS`: the development mean F1 at the stored threshold of
    raw scores and of each span, the best span, and whether it meets the rule (> raw + 0.05).
    Objectives without such rows are left out."""
    out = {}
    for objective, arms in SMOOTHING_ARMS.items():
        if not any(r["series"] in DEV_SERIES and r["method"] in arms for r in rows):
            continue
        means = {}
        for divisor in (None, *SMOOTHING_DIVISORS):
            labels = {smoothing_label(arm, divisor) for arm in arms}
            dev = [r["own"]["f1"] for r in rows if r["series"] in DEV_SERIES and r["method"] in labels]
            means["raw" if divisor is None else f"w/{divisor}"] = float(np.mean(dev)) if dev else float("nan")
        best = max((k for k in means if k != "raw"), key=lambda k: means[k])
        out[objective] = {"dev_mean_f1": means, "best": best, "adopted": bool(means[best] > means["raw"] + 0.05)}
    return out


def choose_calibration(rows, divisor=4):
    """Per objective of `SMOOTHING_ARMS`: the development mean F1 of `pot` and of each of
    `CALIBRATION_CANDIDATES` at the default span (window // `divisor`), the better candidate,
    and whether it meets the rule (> `pot` + 0.05). Objectives without such rows are left out."""
    out = {}
    for objective, arms in SMOOTHING_ARMS.items():
        labels = {smoothing_label(arm, divisor) for arm in arms}
        dev = [r for r in rows if r["series"] in DEV_SERIES and r["method"] in labels and "pot_max" in r]
        if not dev:
            continue
        means = {rule: float(np.mean([r[rule]["f1"] for r in dev])) for rule in ("pot", *CALIBRATION_CANDIDATES)}
        best = max(CALIBRATION_CANDIDATES, key=lambda rule: means[rule])
        out[objective] = {
            "dev_mean_f1": means,
            "rows": len(dev),
            "best": best,
            "adopted": means[best] > means["pot"] + 0.05,
        }
    return out


def choose_rule(rows, methods=("autoencoder",)):
    """The held-out rule with the highest mean F1 at its threshold over `DEV_SERIES` rows."""
    dev = [r for r in rows if r["series"] in DEV_SERIES and r["method"] in methods]
    means = {rule: float(np.mean([r[rule]["f1"] for r in dev])) for rule in HELD_OUT_RULES}
    return max(HELD_OUT_RULES, key=lambda rule: means[rule]), means


#: Every method whose stored threshold is the one `fit` (or `fit_threshold`) sets.
LEARNED = (*TRAINED, "autoencoder_crossfit", *ZERO_SHOT)


def summary_table(rows, rules=("max", "quantile", "pot", "insample"), stored_rule="own"):
    """Markdown: series × method, mean ± sd over seeds of F1 at the stored threshold (the
    learned methods': `stored_rule`, the rule `fit` stores; a baseline's: its own rule), F1 at
    each held-out rule, best F1 and top-1 hits."""
    methods = []
    for r in rows:
        if r["method"] not in methods:
            methods.append(r["method"])
    head = "".join(f" F1 @ {rule} |" for rule in rules)
    lines = [
        f"| series | method | F1 @ stored threshold |{head} best F1 | top-1 ±100 |",
        "| --- | --- |" + " --- |" * (len(rules) + 3),
    ]

    def cell(values):
        values = np.asarray(values, "float64")
        return f"{values.mean():.3f}" if len(values) == 1 else f"{values.mean():.3f} ± {values.std():.3f}"

    for name in SERIES_NAMES:
        for method in methods:
            group = [r for r in rows if r["series"] == name and r["method"] == method]
            if not group:
                continue
            stored = stored_rule if method in LEARNED else "own"
            cells = [cell([r[rule]["f1"] for r in group]) if rule in group[0] else "–" for rule in (stored, *rules)]
            hits = sum(bool(r["top1_hit"]) for r in group)
            best = cell([r["best_f1"] for r in group])
            lines.append(f"| {name} | {method} | " + " | ".join(cells) + f" | {best} | {hits}/{len(group)} |")
    return "\n".join(lines)
