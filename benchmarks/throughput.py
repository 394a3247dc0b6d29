"""Pretraining throughput: rs3l_keras vs the same layers in bare Keras vs plain PyTorch.

One command runs every arm, each in its own process (a Keras backend is fixed per
process), on the same machine and in the same run, and prints a table of ratios against
plain PyTorch `nn.LSTM` with the same sizes.

Arms (`--arms`, default: all that can run here):
    torch                 plain PyTorch: Embedding → nn.LSTM(num_layers) → Linear, Adam.
    keras-<backend>       bare Keras: Embedding → LSTM × L → Dense, Adam, `fit`.
    ours-<backend>        `rs3l.LanguageModel(RNNBackbone(...))` with its default `compile()`
                          (Adam with global clipnorm, perplexity and bits/token metrics).
each optionally suffixed `:bf16` (PyTorch: `torch.autocast(bfloat16)`; Keras:
`mixed_bfloat16`) or `:nofuse` (ours with `RS3L_FUSED_RNN=0`). The `--objective series`
workload times `SequenceAutoencoder` (LSTM encoder → code → LSTM decoder) the same way.

Data: random token ids (throughput does not depend on the values). Ours trains through its
own input pipeline (`LanguageModel.fit` on token rows, tf.data) when TensorFlow is
installed, and through Keras' array adapter otherwise (GPU machines without TF); the JSON
says which. Each arm: warm-up (compilation) steps, then enough steps for `--seconds`.

    python benchmarks/throughput.py --size cpu-small             # the issue's CPU workload
    python benchmarks/throughput.py --size cpu-small --repeats 5 --arms torch,ours-torch  # medians of 5 rounds
    python benchmarks/throughput.py --size h100 --json out.json  # 2x1024 LSTM LM, B=128, T=256
    python benchmarks/throughput.py --objective all --paired torch --threads 1  # every objective vs its twin, alternating steps
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

SIZES = {
    # 2-layer LSTM LM, H=1024, B=128, T=256, vocab 256 (the GPU reference workload).
    "h100": dict(layers=2, hidden=1024, embedding=1024, batch=128, time=256, vocab=256, channels=1),
    # small LSTM 256, B=32, T=128 (the CPU reference workload).
    "cpu-small": dict(layers=1, hidden=256, embedding=256, batch=32, time=128, vocab=256, channels=1),
    "tiny": dict(layers=2, hidden=32, embedding=16, batch=8, time=16, vocab=32, channels=1),
}


# --------------------------------------------------------------------------------------------
# arms (each runs in its own process)
# --------------------------------------------------------------------------------------------
def tokens(size, steps, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(1, size["vocab"], size=(steps * size["batch"], size["time"] + 1)).astype("int32")


def series(size, steps, seed=0, length=None):
    rng = np.random.default_rng(seed)
    t = np.arange(length or size["time"])[None, :, None]
    phase = rng.uniform(0, 6.28, size=(steps * size["batch"], 1, size["channels"]))
    return (np.sin(0.1 * t + phase) + 0.1 * rng.normal(size=phase.shape)).astype("float32")


# --------------------------------------------------------------------------------------------
# plain PyTorch twins: the same networks (sizes, cells, heads, losses) written directly in
# PyTorch, with `nn.LSTM` and on-the-fly corruption/augmentation in torch ops
# --------------------------------------------------------------------------------------------
def text_vocabulary(size):
    """Vocabulary of the line objectives (Seq2Seq, VAE): characters of printable ASCII (at
    most 94) plus the 5 special tokens."""
    return min(size["vocab"], 64)


def torch_twin(objective, size, device):
    """`(module, batches, loss_of)` for `objective`: the network of our objective in plain
    PyTorch, 8 batches of random data, and the loss of a batch (the GAN module has `d_loss`
    and `g_loss` instead)."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    L, H, E, V, B, T, C = (size[k] for k in ("layers", "hidden", "embedding", "vocab", "batch", "time", "channels"))
    if objective in ("seq2seq", "vae"):
        V = text_vocabulary(size)
    g = torch.Generator().manual_seed(0)

    def ids(length=T, rows=B):  # token ids >= 5 (0-4 are <pad>, <unk>, <bos>, <eos>, <mask>)
        return torch.randint(5, V, (rows, length), generator=g)

    def bridges(n_in, n_out, n):
        return nn.ModuleList(nn.Linear(n_in, n_out) for _ in range(n))

    def initial(bridge_list, x):
        return tuple(torch.tanh(b(x))[None] for b in bridge_list)

    class LM(nn.Module):  # Embedding → LSTM × L → Linear; next-token cross-entropy
        def __init__(self):
            super().__init__()
            self.embedding, self.lstm, self.head = (
                nn.Embedding(V, E),
                nn.LSTM(E, H, L, batch_first=True),
                nn.Linear(H, V),
            )

        def loss(self, batch):
            out, _ = self.lstm(self.embedding(batch[:, :-1]))
            return F.cross_entropy(self.head(out).reshape(-1, V).float(), batch[:, 1:].reshape(-1))

    class MLM(nn.Module):  # BERT corruption (15%: 80/10/10) → Embedding → bi-LSTM → Linear
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(V, E)
            self.lstm = nn.LSTM(E, H, L, batch_first=True, bidirectional=True)
            self.head = nn.Linear(2 * H, V)

        def loss(self, batch):
            u = torch.rand(batch.shape, device=batch.device)
            selected = u < 0.15
            corrupted = torch.where(u < 0.12, torch.full_like(batch, 4), batch)
            corrupted = torch.where((u >= 0.12) & (u < 0.135), torch.randint_like(batch, 5, V), corrupted)
            out, _ = self.lstm(self.embedding(corrupted))
            nll = F.cross_entropy(self.head(out).float().transpose(1, 2), batch, reduction="none")
            return (nll * selected).sum() / selected.sum().clamp(min=1)

    class Seq2Seq(nn.Module):  # denoising: encoder LSTM → tanh bridges → decoder LSTM + Luong attention
        def __init__(self):
            super().__init__()
            self.enc_embedding, self.dec_embedding = nn.Embedding(V, E), nn.Embedding(V, E)
            self.encoder, self.decoder = nn.LSTM(E, H, L, batch_first=True), nn.LSTM(E, H, batch_first=True)
            self.bridges = bridges(H, H, 2)
            self.memory = nn.Linear(H, H, bias=False)
            self.combine, self.head = nn.Linear(2 * H, H), nn.Linear(H, V)

        def loss(self, batch):
            drop = torch.rand(batch.shape, device=batch.device) < 0.1  # corruption: 10% of tokens to <mask>
            source = torch.where(drop, torch.full_like(batch, 4), batch)
            memory, (h, c) = self.encoder(self.enc_embedding(source))
            state = initial(self.bridges[:1], h[-1]) + initial(self.bridges[1:], h[-1])
            decoder_in = torch.cat([torch.full_like(batch[:, :1], 2), batch[:, :-1]], 1)  # <bos> + shifted
            hidden, _ = self.decoder(self.dec_embedding(decoder_in), state)
            scores = hidden @ self.memory(memory).transpose(1, 2)  # (B, T, S), dot-product attention
            context = torch.softmax(scores, -1) @ self.memory(memory)
            logits = self.head(torch.tanh(self.combine(torch.cat([hidden, context], -1))))
            return F.cross_entropy(logits.float().transpose(1, 2), batch)

    class VAE(nn.Module):  # encoder LSTM → (μ, log σ²) → z → decoder LSTM on [token-dropped ids, z]
        def __init__(self, latent=32):
            super().__init__()
            self.enc_embedding, self.dec_embedding = nn.Embedding(V, E), nn.Embedding(V, E)
            self.encoder, self.decoder = nn.LSTM(E, H, L, batch_first=True), nn.LSTM(E + latent, H, batch_first=True)
            self.mean, self.log_var = nn.Linear(H, latent), nn.Linear(H, latent)
            self.bridges, self.head = bridges(latent, H, 2), nn.Linear(H, V)

        def loss(self, batch):
            _, (h, _) = self.encoder(self.enc_embedding(batch))
            mean, log_var = self.mean(h[-1]), self.log_var(h[-1])
            z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
            decoder_in = torch.cat([torch.full_like(batch[:, :1], 2), batch[:, :-1]], 1)
            decoder_in = torch.where(torch.rand(decoder_in.shape, device=batch.device) < 0.25, 1, decoder_in)
            steps = torch.cat([self.dec_embedding(decoder_in), z[:, None].expand(-1, batch.shape[1], -1)], -1)
            hidden, _ = self.decoder(steps, initial(self.bridges, z))
            nll = F.cross_entropy(self.head(hidden).float().transpose(1, 2), batch, reduction="none").sum(1).mean()
            kl = 0.5 * (mean.square() + log_var.exp() - 1 - log_var).sum(1).mean()
            return nll + kl

    class Forecaster(nn.Module):  # window scaling → encoder LSTM → bridges → decoder LSTM → μ, σ; Gaussian NLL
        horizon = max(T // 4, 1)

        def __init__(self):
            super().__init__()
            self.encoder, self.decoder = nn.LSTM(C, H, L, batch_first=True), nn.LSTM(C + H, H, batch_first=True)
            self.bridges, self.mean, self.scale = bridges(H, H, 2), nn.Linear(H, C), nn.Linear(H, C)

        def loss(self, batch):
            history, future = batch[:, :T], batch[:, T:]
            loc, scale = history.mean(1, keepdim=True), (history.var(1, keepdim=True, unbiased=False) + 1e-3).sqrt()
            past = (history - loc) / scale
            _, (h, _) = self.encoder(past)
            pooled = h[-1]
            lag = past[:, -1:].expand(-1, self.horizon, -1)  # the seasonal-naive (last) value
            steps = torch.cat([lag, pooled[:, None].expand(-1, self.horizon, -1)], -1)
            hidden, _ = self.decoder(steps, initial(self.bridges, pooled))
            mean, sigma = lag + self.mean(hidden), F.softplus(self.scale(hidden)) + 1e-3
            target = (future - loc) / scale
            return (torch.log(sigma) + (target - mean) ** 2 / (2 * sigma**2)).mean()

    class Autoencoder(nn.Module):  # encoder LSTM → code → tanh bridges → decoder LSTM → reversed series
        def __init__(self):
            super().__init__()
            self.encoder = nn.LSTM(C, H, L, batch_first=True)
            self.code = nn.Linear(H, 16)
            self.bridges = bridges(16, H, 2)
            self.decoder = nn.LSTM(16, H, batch_first=True)
            self.head = nn.Linear(H, C)

        def loss(self, batch):
            _, (h, _) = self.encoder(batch)
            code = self.code(h[-1])
            out, _ = self.decoder(
                code[:, None, :].expand(-1, batch.shape[1], -1).contiguous(), initial(self.bridges, code)
            )
            return torch.mean((self.head(out).float() - batch.flip(1)) ** 2)

    class CPC(nn.Module):  # causal Conv1D × 2 → LSTM context → W_k; InfoNCE over batch and time
        latent, k_steps = 64, 4

        def __init__(self):
            super().__init__()
            self.conv = nn.ModuleList([nn.Conv1d(C, self.latent, 3), nn.Conv1d(self.latent, self.latent, 3)])
            self.lstm = nn.LSTM(self.latent, H, L, batch_first=True)
            self.predictors = nn.ModuleList(nn.Linear(H, self.latent, bias=False) for _ in range(self.k_steps))

        def loss(self, batch):
            z = torch.relu(self.conv[0](F.pad(batch.transpose(1, 2), (2, 0))))  # causal: pad the past only
            z = self.conv[1](F.pad(z, (2, 0))).transpose(1, 2)  # (B, T, D)
            context, _ = self.lstm(z)
            total, count = 0.0, 0
            n, t_all = z.shape[0], z.shape[1]
            for k, predictor in enumerate(self.predictors, start=1):
                pred, targets = predictor(context[:, : t_all - k]), z[:, k:]  # (B, T', D)
                cross = torch.einsum("btd,ctd->btc", pred, targets)  # other series, same target step
                own = torch.einsum("btd,bsd->bts", pred, z)  # own series, other steps
                is_target = torch.arange(t_all)[None, :] == (torch.arange(t_all - k)[:, None] + k)
                own = own.masked_fill(is_target[None], -1e9)
                logits = torch.cat([cross, own], -1)
                positive = torch.arange(n)[:, None].expand(-1, t_all - k)
                total = total + F.cross_entropy(logits.transpose(1, 2), positive, reduction="sum")
                count += positive.numel()
            return total / count

    class NTXent(nn.Module):  # two views (scale, jitter, time mask) → LSTM → MLP → NT-Xent (τ = 0.1)
        def __init__(self, projection=64):
            super().__init__()
            self.lstm = nn.LSTM(C, H, L, batch_first=True)
            self.hidden, self.out = nn.Linear(H, H), nn.Linear(H, projection)

        def view(self, x):
            x = x * (1 + 0.2 * torch.randn(x.shape[0], 1, x.shape[2]))
            x = x + 0.05 * torch.randn_like(x)
            keep = torch.rand(x.shape[0], x.shape[1], 1) >= 0.15 * (torch.rand(x.shape[0], 1, 1) < 0.5)
            return x * keep

        def loss(self, batch):
            x = torch.cat([self.view(batch), self.view(batch)])
            _, (h, _) = self.lstm(x)
            z = F.normalize(self.out(torch.relu(self.hidden(h[-1]))).float(), dim=-1)
            sim = (z @ z.t()) / 0.1
            sim = sim.masked_fill(torch.eye(len(z), dtype=torch.bool), -1e9)
            n = len(batch)
            partner = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
            return F.cross_entropy(sim, partner)

    class GAN(nn.Module):  # generator LSTM → Linear; discriminator LSTM → Linear(1); moment loss on Δ⁰..Δ²
        def __init__(self):
            super().__init__()
            self.g_lstm, self.g_head = nn.LSTM(C, H, L, batch_first=True), nn.Linear(H, C)
            self.d_lstm, self.d_head = nn.LSTM(C, H, L, batch_first=True), nn.Linear(H, 1)

        def discriminator_parameters(self):
            return [*self.d_lstm.parameters(), *self.d_head.parameters()]

        def generator_parameters(self):
            return [*self.g_lstm.parameters(), *self.g_head.parameters()]

        def fake(self, batch):
            out, _ = self.g_lstm(torch.randn_like(batch))
            return self.g_head(out)

        def logits(self, x):
            _, (h, _) = self.d_lstm(x)
            return self.d_head(h[-1])

        def d_loss(self, batch):
            return (F.softplus(-self.logits(batch)) + F.softplus(self.logits(self.fake(batch).detach()))).mean()

        def g_loss(self, batch):
            fake = self.fake(batch)
            loss = F.softplus(-self.logits(fake)).mean()
            real = batch
            for _ in range(3):
                loss = loss + (fake.std(0) - real.std(0)).abs().mean() + (fake.mean(0) - real.mean(0)).abs().mean()
                real, fake = real[:, 1:] - real[:, :-1], fake[:, 1:] - fake[:, :-1]
            return loss

    if objective == "lm":
        model, batches = LM(), [ids(T + 1) for _ in range(8)]
    elif objective == "mlm":
        model, batches = MLM(), [ids() for _ in range(8)]
    elif objective in ("seq2seq", "vae"):
        model, batches = {"seq2seq": Seq2Seq, "vae": VAE}[objective](), [ids() for _ in range(8)]
    elif objective == "forecaster":
        model = Forecaster()
        batches = [torch.as_tensor(series(size, 1, seed=i, length=T + model.horizon)) for i in range(8)]
    else:
        model = {"autoencoder": Autoencoder, "cpc": CPC, "ntxent": NTXent, "gan": GAN}[objective]()
        batches = [torch.as_tensor(series(size, 1, seed=i)) for i in range(8)]
    model = model.to(device)
    return model, [b.to(device) for b in batches], getattr(model, "loss", None)


def torch_steps(size, precision, objective):
    """`(step, sync, device)`: one training step of the plain PyTorch twin (`step(i)` returns
    the loss) and the device synchronisation."""
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cuda.matmul.allow_tf32 = True  # the reference figure is TF32
    torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(0)
    model, batches, loss_of = torch_twin(objective, size, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    if objective == "gan":  # one discriminator update and two generator updates per step
        d_params, g_params = model.discriminator_parameters(), model.generator_parameters()
        d_opt, g_opt = torch.optim.Adam(d_params, lr=1e-3), torch.optim.Adam(g_params, lr=1e-3)

    def update(opt, loss_fn):
        model.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = loss_fn()
        loss.backward()
        opt.step()
        return loss

    def step(i):
        batch = batches[i % len(batches)]
        if objective == "gan":
            update(d_opt, lambda: model.d_loss(batch))
            return [update(g_opt, lambda: model.g_loss(batch)) for _ in range(2)][-1]
        return update(optimizer, lambda: loss_of(batch))

    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    return step, sync, device


def run_torch(size, precision, objective, seconds):
    import torch

    step, sync, device = torch_steps(size, precision, objective)
    for i in range(3):
        step(i)
    sync()
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds or n < 5:
        loss = step(n)
        n += 1
        if n % 10 == 0:
            sync()
    sync()
    elapsed = time.perf_counter() - start
    return {
        "steps": n,
        "seconds": elapsed,
        "loss": float(loss),
        "device": device,
        "cudnn": bool(device == "cuda" and torch.backends.cudnn.is_available()),
        "framework": f"torch {torch.__version__}",
    }


def ours_model(objective, size):
    """`(model, make)`: our objective with the twin's sizes and its default `compile()`, and
    `make(steps)`, raw input for `steps` batches of its own pipeline (`fit`)."""
    import rs3l_keras as rs3l

    L, H, E, V, B, T, C = (size[k] for k in ("layers", "hidden", "embedding", "vocab", "batch", "time", "channels"))
    tokenizer = None
    if objective in ("seq2seq", "vae"):  # lines of characters: V - 5 characters + 5 special tokens
        V = text_vocabulary(size)
        alphabet = [chr(c) for c in range(33, 127)][: V - 5]
        tokenizer = rs3l.CharTokenizer.fit("".join(alphabet))

    def lines(steps):  # steps × B lines of T - 1 characters (plus <bos>/<eos>: T tokens)
        rng = np.random.default_rng(steps)
        return ["".join(rng.choice(alphabet, T - 1)) for _ in range(steps * B)]

    def backbone(**kwargs):
        return rs3l.RNNBackbone(num_layers=L, hidden_dim=H, **kwargs)

    if objective == "lm":
        model = rs3l.LanguageModel(backbone(vocabulary_size=V, embedding_dim=E), sequence_length=T)
        make = lambda steps: tokens(size, steps)  # noqa: E731
    elif objective == "autoencoder":
        model = rs3l.SequenceAutoencoder(backbone(input_dim=C), code_dim=16, window_length=T)
        make = lambda steps: series(size, steps)  # noqa: E731
    elif objective == "mlm":
        model = rs3l.MaskedLanguageModel(
            backbone(vocabulary_size=V, embedding_dim=E, bidirectional=True), sequence_length=T
        )
        make = lambda steps: np.random.default_rng(steps).integers(5, V, (steps * B, T)).astype("int32")  # noqa: E731
    elif objective == "seq2seq":
        model = rs3l.Seq2Seq(
            backbone(vocabulary_size=V, embedding_dim=E), tokenizer, attention="luong", sequence_length=T
        )
        make = lines
    elif objective == "vae":
        model = rs3l.SequenceVAE(
            backbone(vocabulary_size=V, embedding_dim=E), tokenizer, latent_dim=32, sequence_length=T
        )
        make = lines
    elif objective == "forecaster":
        horizon = max(T // 4, 1)
        model = rs3l.Forecaster(backbone(input_dim=C), horizon=horizon, context_length=T)
        make = lambda steps: series(size, 1, seed=steps, length=steps * B + T + horizon - 1)[0]  # noqa: E731
    elif objective == "cpc":
        model = rs3l.CPC(backbone(input_dim=64), channels=C, prediction_steps=4)
        make = lambda steps: series(size, steps)  # noqa: E731
    elif objective == "ntxent":
        model = rs3l.ContrastiveEncoder(backbone(input_dim=C), projection_dim=64)
        make = lambda steps: series(size, steps)  # noqa: E731
    elif objective == "gan":
        model = rs3l.RecurrentGAN(backbone(input_dim=C))
        make = lambda steps: series(size, steps)  # noqa: E731
    else:
        raise ValueError(f"unknown objective {objective!r}")
    model.compile()
    return model, make


def run_keras(size, precision, objective, seconds, ours, fuse):
    os.environ["RS3L_FUSED_RNN"] = "1" if fuse else "0"
    import keras
    from keras.src import backend as kbackend

    if precision == "bf16":
        keras.config.set_dtype_policy("mixed_bfloat16")
    keras.utils.set_random_seed(0)
    L, H, E, V, B, T, C = (size[k] for k in ("layers", "hidden", "embedding", "vocab", "batch", "time", "channels"))

    # Count the recurrent calls that the backend's own LSTM kernel accepted (cuDNN on GPU; it
    # falls back silently to a per-step loop by raising NotImplementedError inside the layer)
    # and the calls of our fused stack. On JAX these count traces, on torch every step.
    cudnn = {"lstm_layer_calls": 0, "lstm_layer_cudnn": 0, "fused_stack_calls": 0, "fused_layer_calls": 0}
    original = kbackend.lstm

    def counting_lstm(*args, **kwargs):
        cudnn["lstm_layer_calls"] += 1
        out = original(*args, **kwargs)
        cudnn["lstm_layer_cudnn"] += 1
        return out

    kbackend.lstm = counting_lstm
    if ours:
        from rs3l_keras.backbones import fused

        def counting(function):
            def counted(*args, **kwargs):
                cudnn["fused_stack_calls"] += 1
                return function(*args, **kwargs)

            return counted

        fused.fused_lstm = counting(fused.fused_lstm)  # JAX + GPU: cuDNN
        fused.torch_fused_rnn = counting(fused.torch_fused_rnn)  # torch: PyTorch's own kernel
        original_layer = fused.torch_fused_layer

        def counted_layer(*args, **kwargs):  # decoders started from a state (torch)
            cudnn["fused_layer_calls"] += 1
            return original_layer(*args, **kwargs)

        fused.torch_fused_layer = counted_layer

    input_path = "numpy arrays (keras.Model.fit)"
    if objective == "lm":
        if ours:
            import rs3l_keras as rs3l

            model = rs3l.LanguageModel(
                rs3l.RNNBackbone(V, num_layers=L, hidden_dim=H, embedding_dim=E), sequence_length=T
            )
            model.compile()
        else:
            model = keras.Sequential(
                [keras.Input((None,), dtype="int32"), keras.layers.Embedding(V, E)]
                + [keras.layers.LSTM(H, return_sequences=True) for _ in range(L)]
                + [keras.layers.Dense(V, dtype="float32")]
            )
            model.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        make = lambda steps: tokens(size, steps)  # noqa: E731
    elif objective not in ("autoencoder", "series"):
        if not ours:
            raise ValueError(f"bare Keras arms exist for --objective lm and autoencoder only, not {objective!r}")
        model, make = ours_model(objective, size)
    else:
        import rs3l_keras as rs3l

        if ours:
            model = rs3l.SequenceAutoencoder(rs3l.RNNBackbone(input_dim=C, hidden_dim=H), code_dim=16, window_length=T)
            model.compile()
        else:
            x = keras.Input((None, C))
            _, h, _ = keras.layers.LSTM(H, return_state=True)(x)
            code = keras.layers.Dense(16)(h)
            state = [keras.layers.Dense(H, activation="tanh")(code) for _ in range(2)]
            steps_in = keras.ops.repeat(code[:, None, :], T, axis=1)
            out = keras.layers.LSTM(H, return_sequences=True)(steps_in, initial_state=state)
            model = keras.Model(x, keras.layers.Dense(C, dtype="float32")(out))
            model.compile(keras.optimizers.Adam(1e-3), "mse")
        make = lambda steps: series(size, steps)  # noqa: E731

    try:
        import tensorflow  # noqa: F401

        has_tf = True
    except ImportError:
        has_tf = False

    def fit(data, steps):
        nonlocal input_path
        if ours and has_tf:  # our own pipeline: tf.data from token rows / series
            input_path = "rs3l input pipeline (tf.data)"
            history = model.fit(data, batch_size=B, epochs=1, shuffle=False, verbose=0)
        elif objective == "lm":
            history = keras.Model.fit(
                model, data[:, :-1], data[:, 1:], batch_size=B, epochs=1, shuffle=False, verbose=0
            )
        elif ours:
            history = keras.Model.fit(model, data, batch_size=B, epochs=1, shuffle=False, verbose=0)
        else:
            history = keras.Model.fit(model, data, data[:, ::-1], batch_size=B, epochs=1, shuffle=False, verbose=0)
        return history.history.get("loss", history.history.get("g_loss"))[-1]  # the GAN logs d_loss, g_loss

    start = time.perf_counter()
    fit(make(3), 3)  # compile + warm-up
    warm = time.perf_counter() - start
    start = time.perf_counter()
    fit(make(5), 5)
    per_step = (time.perf_counter() - start) / 5
    steps = max(5, int(seconds / max(per_step, 1e-4)))
    data = make(steps)
    start = time.perf_counter()
    loss = fit(data, steps)
    elapsed = time.perf_counter() - start
    return {
        "steps": steps,
        "seconds": elapsed,
        "compile_seconds": warm,
        "loss": float(loss),
        "input": input_path,
        "framework": f"keras {keras.__version__} ({keras.backend.backend()})",
        "device": _keras_device(),
        **cudnn,
    }


def _paired_one(objective, size, rounds, chunk_seconds, calls, interleave="step", pairs=20):
    """One objective of `run_paired`: its row.

    `interleave="step"` (the default): one `fit` of ours over `pairs + 1` batches, and after
    each of its steps (in a callback) one step of the twin, each timed on its own. Ours' step
    is the time from the end of the twin's step to the end of ours' next step: the input
    pipeline handing over the batch, Keras' loop and callbacks, the train step. Its first
    step (which pays `fit`'s set-up: the dataset, the epoch iterator) is left out: a user's
    `fit` runs thousands of steps. Pairs of steps a fraction of a second apart see the same
    load, so the ratio survives a shared machine's bursts: `vs_torch` is the median over the
    pairs of twin ms ÷ ours ms (`vs_torch_ratio_of_medians` beside it swings with the load
    when it changes during the run; `vs_torch_fastest` compares the fastest steps).

    `interleave="chunk"`: alternating chunks of `chunk_seconds` (`rounds` of each), ours
    timed as whole `fit` calls (set-up included, spread over the chunk's few steps);
    `vs_torch` = the median twin chunk ÷ the median ours chunk."""
    import keras

    B = size["batch"]
    step, sync, _ = torch_steps(size, "fp32", objective)
    keras.utils.set_random_seed(0)
    model, make = ours_model(objective, size)

    def ours(steps, callbacks=None):
        data = make(steps)
        start = time.perf_counter()
        history = model.fit(data, batch_size=B, epochs=1, shuffle=False, verbose=0, callbacks=callbacks)
        return time.perf_counter() - start, history.history

    def twin(steps):
        start = time.perf_counter()
        for i in range(steps):
            step(i)
        sync()
        return time.perf_counter() - start

    start = time.perf_counter()
    ours(3)  # compile / trace + warm-up
    compile_seconds = time.perf_counter() - start
    twin(3)
    row = {"objective": objective, "backend": keras.backend.backend(), "interleave": interleave}
    if interleave == "step":
        twin_steps, ours_steps = [], []

        class Interleave(keras.callbacks.Callback):
            last = None

            def on_train_batch_end(self, batch, logs=None):
                now = time.perf_counter()
                if self.last is not None:
                    ours_steps.append(1000 * (now - self.last))
                    twin_steps.append(1000 * twin(1))
                self.last = time.perf_counter()

        calls.update(stack=0, decoder=0)
        _, history = ours(pairs + 1, callbacks=[Interleave()])
        per_pair = [t / o for t, o in zip(twin_steps, ours_steps)]
        row.update(
            torch_ms_per_step=float(np.median(twin_steps)),
            ours_ms_per_step=float(np.median(ours_steps)),
            torch_steps_ms=twin_steps,
            ours_steps_ms=ours_steps,
            pairs=len(per_pair),
            vs_torch=float(np.median(per_pair)),
            vs_torch_ratio_of_medians=float(np.median(twin_steps) / np.median(ours_steps)),
            vs_torch_fastest=min(twin_steps) / min(ours_steps),
        )
        n_calls = pairs + 1
    else:
        ours_ms = 1000 * ours(3)[0] / 3
        twin_ms = 1000 * twin(3) / 3
        n_ours = max(3, int(1000 * chunk_seconds / ours_ms))
        n_twin = max(3, int(1000 * chunk_seconds / twin_ms))
        calls.update(stack=0, decoder=0)
        twin_chunks, ours_chunks = [], []
        for _ in range(rounds):
            twin_chunks.append(1000 * twin(n_twin) / n_twin)
            seconds, history = ours(n_ours)
            ours_chunks.append(1000 * seconds / n_ours)
        row.update(
            torch_ms_per_step=float(np.median(twin_chunks)),
            ours_ms_per_step=float(np.median(ours_chunks)),
            torch_chunks_ms=twin_chunks,
            ours_chunks_ms=ours_chunks,
            steps_per_chunk={"torch": n_twin, "ours": n_ours},
            vs_torch=float(np.median(twin_chunks) / np.median(ours_chunks)),
        )
        n_calls = rounds * n_ours
    row.update(
        compile_seconds=compile_seconds,
        fused_calls_per_ours_step={k: v / n_calls for k, v in calls.items()},
        ours_final_loss=float(next(iter(history.values()))[-1]),
    )
    return row


def run_paired(objectives, size, rounds, chunk_seconds, threads=None, interleave="step", pairs=20):
    """In one process: for each objective, the plain PyTorch twin and ours on this process'
    Keras backend, warmed up, then timed alternately (step by step, or in chunks: see
    `_paired_one`), so both see the same load on a shared machine. Per-step times are
    medians; `vs_torch` = twin ms ÷ ours ms."""
    import keras
    import torch

    from rs3l_keras.backbones import fused

    if threads:
        torch.set_num_threads(threads)
    calls = {"stack": 0, "decoder": 0}
    stack, layer = fused.torch_fused_rnn, fused.torch_fused_layer
    fused.torch_fused_rnn = lambda *a, **k: calls.__setitem__("stack", calls["stack"] + 1) or stack(*a, **k)
    fused.torch_fused_layer = lambda *a, **k: calls.__setitem__("decoder", calls["decoder"] + 1) or layer(*a, **k)
    out = []
    for objective in objectives:
        try:
            row = _paired_one(objective, size, rounds, chunk_seconds, calls, interleave, pairs)
        except Exception as error:  # one objective failing must not lose the others
            row = {
                "objective": objective,
                "backend": keras.backend.backend(),
                "error": f"{type(error).__name__}: {error}"[:300],
            }
        print("PAIRED " + json.dumps(row), flush=True)
        out.append(row)
    return out


def _keras_device():
    import keras

    if keras.backend.backend() == "jax":
        import jax

        return str(jax.devices()[0].platform)
    if keras.backend.backend() == "torch":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    import tensorflow as tf

    return "gpu" if tf.config.list_physical_devices("GPU") else "cpu"


def run_arm(arm, size, objective, seconds):
    name, _, flag = arm.partition(":")
    precision = "bf16" if flag == "bf16" else "fp32"
    if name == "torch":
        result = run_torch(size, precision, objective, seconds)
    else:
        kind, _, backend = name.partition("-")
        result = run_keras(size, precision, objective, seconds, ours=kind == "ours", fuse=flag != "nofuse")
    tokens_per_step = size["batch"] * size["time"]
    result.update(
        arm=arm,
        precision=precision,
        ms_per_step=1000 * result["seconds"] / result["steps"],
        tokens_per_second=tokens_per_step * result["steps"] / result["seconds"],
    )
    return result


# --------------------------------------------------------------------------------------------
# orchestration
# --------------------------------------------------------------------------------------------
def available_arms(objective="lm"):
    """Plain PyTorch, then ours on each installed backend; bare Keras for the LM and the
    autoencoder only (the other objectives have no bare-Keras twin)."""
    arms = []
    import importlib.util

    if importlib.util.find_spec("torch"):
        arms += ["torch", "torch:bf16"]
    for backend in ("tensorflow", "jax", "torch"):
        if importlib.util.find_spec(backend):
            short = {"tensorflow": "tf"}.get(backend, backend)
            arms += [f"keras-{short}", f"ours-{short}"] if objective in ("lm", "autoencoder") else [f"ours-{short}"]
    return arms


def run_arm_process(arm, objective, args):
    backend = arm.partition(":")[0].partition("-")[2]
    env = {**os.environ, "KERAS_BACKEND": {"tf": "tensorflow"}.get(backend, backend or "tensorflow")}
    if args.threads:  # the same number of CPU threads for every framework
        n = str(args.threads)
        env.update(OMP_NUM_THREADS=n, MKL_NUM_THREADS=n, TF_NUM_INTRAOP_THREADS=n, TF_NUM_INTEROP_THREADS=n)
        env["XLA_FLAGS"] = (
            env.get("XLA_FLAGS", "") + f" --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={n}"
        ).strip()
    start = time.time()
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--arm",
            arm,
            "--size",
            args.size,
            "--objective",
            objective,
            "--seconds",
            str(args.seconds),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        lines_err = done.stderr.strip().splitlines() or ["(no output)"]
        errors = [line for line in lines_err if re.match(r"^[\w.]+(Error|Exception)\b", line)]
        result = {"arm": arm, "error": (errors or lines_err)[-1][:300]}
    else:
        result = json.loads(lines[-1][7:])
    result["wall_seconds"] = round(time.time() - start, 1)
    return result


def summarise(arms, results):
    """One row per arm: median ms/step over its rounds, and its ratio to the median plain
    PyTorch arm of the same precision (speed ÷ PyTorch's speed)."""
    rows = []
    for arm in arms:
        runs = [r for r in results if r["arm"] == arm and "error" not in r]
        if not runs:
            rows.append({"arm": arm, "error": next(r["error"] for r in results if r["arm"] == arm)})
            continue
        ms = sorted(r["ms_per_step"] for r in runs)
        last = runs[-1]
        fused_info = (
            f"stack {last['fused_stack_calls']}, decoder {last.get('fused_layer_calls', 0)}, "
            f"layers {last['lstm_layer_cudnn']}/{last['lstm_layer_calls']}"
            if "lstm_layer_calls" in last
            else str(last.get("cudnn"))
        )
        rows.append(
            {
                "arm": arm,
                "precision": last["precision"],
                "rounds": len(runs),
                "ms_per_step": float(np.median(ms)),
                "ms_per_step_min": ms[0],
                "ms_per_step_max": ms[-1],
                "tokens_per_second": float(np.median([r["tokens_per_second"] for r in runs])),
                "fused": fused_info,
            }
        )
    baseline = {
        row["precision"]: row["ms_per_step"] for row in rows if row["arm"].startswith("torch") and "error" not in row
    }
    for row in rows:
        if "error" not in row and row["precision"] in baseline:
            row["vs_torch"] = baseline[row["precision"]] / row["ms_per_step"]
    return rows


OBJECTIVES = ("lm", "mlm", "seq2seq", "vae", "forecaster", "autoencoder", "cpc", "ntxent", "gan")


def _objectives(text):
    """--objective: one name, a comma-separated list or `all` (`series` = `autoencoder`)."""
    names = list(OBJECTIVES) if text == "all" else [{"series": "autoencoder"}.get(n, n) for n in text.split(",")]
    bad = [n for n in names if n not in OBJECTIVES]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"expected 'all' or names from {', '.join(OBJECTIVES)}, received {text!r}")
    return names


def run_objective(objective, arms, args, size):
    """Every arm of one objective over `--repeats` rounds; returns (summary rows, results)."""
    results = []
    for round_index in range(args.repeats):
        # Each round runs every arm once, starting one arm later than the round before, so
        # slow drifts of a shared machine spread over the arms instead of hitting one.
        shift = round_index % len(arms)
        for arm in arms[shift:] + arms[:shift]:
            result = run_arm_process(arm, objective, args)
            result.update(round=round_index, objective=objective)
            results.append(result)
            print(json.dumps(result), flush=True)
    summary = summarise(arms, results)
    print(f"\n{objective} workload {args.size}: {size}; {args.repeats} round(s), median over rounds")
    print(f"{'arm':<22}{'ms/step':>10}{'(min-max)':>16}{'tokens/s':>12}{'vs torch (same precision)':>28}  fused/cuDNN")
    for row in summary:
        if "error" in row:
            print(f"{row['arm']:<22}  error: {row['error']}")
            continue
        ratio = f"{row['vs_torch']:.2f}x" if row.get("vs_torch") else "-"
        spread = f"({row['ms_per_step_min']:.0f}-{row['ms_per_step_max']:.0f})"
        print(
            f"{row['arm']:<22}{row['ms_per_step']:>10.1f}{spread:>16}{row['tokens_per_second']:>12,.0f}"
            f"{ratio:>28}  {row['fused']}"
        )
    return summary, results


def ratio_table(summaries):
    """Markdown: one row per objective, one column per arm (speed ÷ plain PyTorch's)."""
    arms = [a for a in dict.fromkeys(row["arm"] for rows in summaries.values() for row in rows) if a != "torch"]
    lines = [
        "| objective | plain PyTorch ms/step | " + " | ".join(arms) + " |",
        "|---|---:|" + "---:|" * len(arms),
    ]
    for objective, rows in summaries.items():
        by_arm = {row["arm"]: row for row in rows}
        torch_ms = by_arm.get("torch", {}).get("ms_per_step")
        cells = []
        for arm in arms:
            row = by_arm.get(arm)
            cells.append(
                "–" if row is None or "vs_torch" not in row else f"{row['vs_torch']:.2f}× ({row['ms_per_step']:.0f} ms)"
            )
        lines.append(f"| {objective} | {torch_ms:.0f} | " if torch_ms else f"| {objective} | – | ")
        lines[-1] += " | ".join(cells) + " |"
    return "\n".join(lines)


def paired_main(args, size, argv):
    """`--paired`: one child process per backend (see `run_paired`); the objective × backend table."""
    rows = []
    for backend in args.paired.split(","):
        env = {**os.environ, "KERAS_BACKEND": backend}
        if args.threads:
            n = str(args.threads)
            env.update(OMP_NUM_THREADS=n, MKL_NUM_THREADS=n, TF_NUM_INTRAOP_THREADS=n, TF_NUM_INTEROP_THREADS=n)
            env["XLA_FLAGS"] = f"--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={n}"
        command = [
            sys.executable,
            __file__,
            "--paired-child",
            "--size",
            args.size,
            "--objective",
            ",".join(args.objective),
        ]
        command += ["--rounds", str(args.rounds), "--chunk-seconds", str(args.chunk_seconds)]
        command += ["--interleave", args.interleave, "--pairs", str(args.pairs)]
        command += ["--threads", str(args.threads)] if args.threads else []
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        found = []
        for line in child.stdout:
            if line.startswith("PAIRED "):
                found.append(json.loads(line[7:]))
                print(json.dumps(found[-1]), flush=True)
        stderr = child.stderr.read()
        child.wait()
        for objective in args.objective:
            if not any(r["objective"] == objective for r in found):
                found.append({"objective": objective, "backend": backend, "error": (stderr.strip() or "?")[-300:]})
        rows += found
    backends = list(dict.fromkeys(r["backend"] for r in rows))
    how = "alternating steps" if args.interleave == "step" else "alternating chunks"
    print(f"\nSpeed of ours ÷ plain PyTorch, same process, {how} ({args.size}: {size}):\n")
    print("| objective | " + " | ".join(f"ours on {b} (ms/step; plain PyTorch ms/step)" for b in backends) + " |")
    print("|---|" + "---:|" * len(backends))
    for objective in args.objective:
        cells = []
        for backend in backends:
            r = next((r for r in rows if r["objective"] == objective and r["backend"] == backend), None)
            if r is None or "error" in r:
                cells.append("error" if r else "–")
            else:
                cells.append(f"{r['vs_torch']:.2f}× ({r['ours_ms_per_step']:.0f}; {r['torch_ms_per_step']:.0f})")
        print(f"| {objective} | " + " | ".join(cells) + " |")
    if args.json:
        import pathlib
        import tempfile

        path = pathlib.Path(args.json)
        record = {
            "command": "python benchmarks/throughput.py " + " ".join(sys.argv[1:] if argv is None else argv),
            "size": args.size,
            "workload": size,
            "interleave": args.interleave,
            **({"pairs": args.pairs} if args.interleave == "step" else {}),
            **({"rounds": args.rounds, "chunk_seconds": args.chunk_seconds} if args.interleave == "chunk" else {}),
            "threads": args.threads,
            "paired": rows,
        }
        with tempfile.NamedTemporaryFile("w", dir=path.parent or ".", suffix=".tmp", delete=False) as f:
            json.dump(record, f, indent=2)
        os.replace(f.name, path)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="cpu-small")
    parser.add_argument(
        "--objective",
        type=_objectives,
        default=["lm"],
        metavar="{all," + ",".join(OBJECTIVES) + "}",
        help="one objective, a comma-separated list, or all (default lm)",
    )
    parser.add_argument("--arms", default=None, help="comma-separated arms (default: all available)")
    parser.add_argument("--seconds", type=float, default=15.0, help="timed seconds per arm")
    parser.add_argument(
        "--repeats", type=int, default=1, help="rounds over all arms (rotated order); the table shows medians"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for every arm (torch, TF, XLA); default: each framework's own",
    )
    parser.add_argument(
        "--paired",
        default=None,
        metavar="BACKENDS",
        help="comma-separated Keras backends (tensorflow, jax, torch): per backend one process times, for "
        "each objective, the plain PyTorch twin and ours in alternating chunks (robust to a shared machine's load)",
    )
    parser.add_argument(
        "--interleave",
        choices=("step", "chunk"),
        default="step",
        help="--paired: alternate single steps inside one fit (default; fit's set-up left out) or whole chunks",
    )
    parser.add_argument("--pairs", type=int, default=20, help="--paired, step: timed step pairs (medians reported)")
    parser.add_argument("--rounds", type=int, default=3, help="--paired, chunk: timed chunks of each (median)")
    parser.add_argument("--chunk-seconds", type=float, default=2.0, help="--paired, chunk: seconds per timed chunk")
    parser.add_argument("--json", default=None, help="write all results here")
    parser.add_argument("--arm", default=None, help=argparse.SUPPRESS)  # internal: run one arm
    parser.add_argument("--paired-child", action="store_true", help=argparse.SUPPRESS)  # internal
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    if args.arm:
        print("RESULT " + json.dumps(run_arm(args.arm, size, args.objective[0], args.seconds)), flush=True)
        return 0
    if args.paired_child:
        run_paired(args.objective, size, args.rounds, args.chunk_seconds, args.threads, args.interleave, args.pairs)
        return 0
    if args.paired:
        return paired_main(args, size, argv)
    summaries, results = {}, []
    for objective in args.objective:
        arms = args.arms.split(",") if args.arms else available_arms(objective)
        summaries[objective], part = run_objective(objective, arms, args, size)
        results += part
    if len(summaries) > 1:
        print("\nSpeed relative to plain PyTorch (higher is faster; 1.00× = the same speed):\n")
        print(ratio_table(summaries))
    if args.json:
        import pathlib
        import tempfile

        path = pathlib.Path(args.json)
        record = {
            "size": args.size,
            "objective": args.objective[0] if len(args.objective) == 1 else args.objective,
            "workload": size,
            "repeats": args.repeats,
            "seconds": args.seconds,
            "threads": args.threads,
            "command": "python benchmarks/throughput.py " + " ".join(sys.argv[1:] if argv is None else argv),
            "summary": summaries[args.objective[0]] if len(summaries) == 1 else summaries,
            "results": results,
        }
        with tempfile.NamedTemporaryFile("w", dir=path.parent or ".", suffix=".tmp", delete=False) as f:
            json.dump(record, f, indent=2)
        os.replace(f.name, path)  # atomic: never a half-written table
    return 0


if __name__ == "__main__":
    sys.exit(main())
