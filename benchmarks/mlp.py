"""Time one epoch of MLP training with edf, with hand-fused numpy, and with PyTorch (CPU, if importable).

Model: Input -> Affine -> Relu -> Affine -> Softmax -> LogLoss, plain SGD, batch-averaged loss.
All three run in this process on the same data, from the same initial weights, for the same steps;
each time is the best of several repeats. Run: .venv/bin/python benchmarks/mlp.py  (or make bench).
"""

import os
import sys

# OpenBLAS tuning variables set on this machine can slow numpy down; drop them for this process only
# (they must go before numpy is imported). Tests never do this.
UNSET = [k for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if os.environ.pop(k, None) is not None]

import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from helpers.ps1 import DIGITS_FILE, RELEASE_NOTEBOOK  # noqa: E402

import edf  # noqa: E402

try:
    import torch
except ImportError:  # optional: not in requirements.txt
    torch = None

LR = 0.1
DIGITS = RELEASE_NOTEBOOK.parent / DIGITS_FILE  # the file the notebook reads
REPEATS, MAX_REPEATS, SECONDS = 7, 200, 1.5  # at least 7 repeats; fast rows repeat for about 1.5 s


def make_data(n_in, n_out, n_examples, rng):
    if n_in == 64:  # Problem 3's digits, training and test images together: 1797 images of 8x8
        with np.load(DIGITS) as digits:
            X = np.concatenate([digits["train_images"], digits["test_images"]]) / 16.0
            y = np.concatenate([digits["train_labels"], digits["test_labels"]])
        return X, y, "digits"
    X = rng.normal(size=(n_examples, n_in))
    return X, rng.integers(0, n_out, size=n_examples), "random"


def init_weights(sizes, rng):
    out = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(6.0 / (n_in + n_out))
        out += [rng.uniform(-bound, bound, size=(n_in, n_out)), np.zeros(n_out)]
    return out


# ---------------------------------------------------------------- the three implementations


class EdfMLP:
    def __init__(self, weights, dt):
        edf.DT = dt
        edf.learning_rate = LR
        edf.clear_compgraph()
        self.x, self.y = edf.Input(), edf.Input()
        self.params = []
        h = self.x
        for i in range(0, len(weights), 2):
            Phi = edf.AffineParams(*weights[i].shape)
            Phi.w.value[...], Phi.b.value[...] = weights[i], weights[i + 1]
            self.params += [Phi.w, Phi.b]
            h = edf.Affine(Phi, h)
            h = edf.Relu(h) if i + 2 < len(weights) else h
        self.loss = edf.LogLoss(edf.Softmax(h), self.y)

    def step(self, X, y):
        self.x.value, self.y.value = X, y
        edf.Forward()
        edf.Backward(self.loss)
        edf.SGD()

    def weights(self):
        return [p.value for p in self.params]


class NumpyMLP:
    """Hand-fused forward and backward: the practical speed limit of numpy for this model."""

    def __init__(self, weights, dt):
        self.W1, self.b1, self.W2, self.b2 = (w.astype(dt) for w in weights)

    def step(self, X, y):
        h = X @ self.W1
        h += self.b1
        np.maximum(h, 0, out=h)
        s = h @ self.W2
        s += self.b2
        s -= s.max(axis=1, keepdims=True)
        rows = np.arange(len(y))
        p = np.exp(s)
        z = p.sum(axis=1, keepdims=True)
        self.loss = np.log(z[:, 0]) - s[rows, y]  # per-example log loss, as every framework reports it
        p /= z
        s = p
        s[rows, y] -= 1.0
        s *= 1.0 / len(y)  # d loss / d logits = (p - onehot) / B
        dh = s @ self.W2.T
        dh *= h > 0
        self.W2 -= LR * (h.T @ s)
        self.b2 -= LR * s.sum(axis=0)
        self.W1 -= LR * (X.T @ dh)  # no gradient for the data X
        self.b1 -= LR * dh.sum(axis=0)

    def weights(self):
        return [self.W1, self.b1, self.W2, self.b2]


class TorchMLP:
    def __init__(self, weights, dt):
        self.dtype = torch.float32 if dt == np.float32 else torch.float64
        self.params = [torch.tensor(w, dtype=self.dtype, requires_grad=True) for w in weights]

    def convert(self, batches):
        return [(torch.from_numpy(X), torch.from_numpy(y)) for X, y in batches]

    def step(self, X, y):
        W1, b1, W2, b2 = self.params
        loss = torch.nn.functional.cross_entropy(torch.relu(X @ W1 + b1) @ W2 + b2, y)
        loss.backward()
        with torch.no_grad():
            for p in self.params:
                p -= LR * p.grad
                p.grad = None

    def weights(self):
        return [p.detach().numpy() for p in self.params]


# ---------------------------------------------------------------- measuring


def best_epoch_ms(runs):
    """runs: name -> (model, batches). Repeats are interleaved, so that a burst of load from other
    processes hits every column alike; each column keeps its best time."""
    best, rounds = dict.fromkeys(runs, float("inf")), 0
    while rounds < REPEATS or (rounds < MAX_REPEATS and rounds * max(best.values()) < SECONDS):
        for name, (model, batches) in runs.items():
            t0 = time.perf_counter()
            for X, y in batches:
                model.step(X, y)
            best[name] = min(best[name], time.perf_counter() - t0)
        rounds += 1
    return {name: 1e3 * t for name, t in best.items()}, rounds


def run_row(sizes, B, dt, rng):
    X, y, source = make_data(sizes[0], sizes[-1], 6400, rng)
    X = X.astype(dt)
    batches = [(X[i : i + B], y[i : i + B]) for i in range(0, len(X) - B + 1, B)]
    weights = init_weights(sizes, rng)
    models = {"edf": EdfMLP(weights, dt), "numpy": NumpyMLP(weights, dt)}
    # Same start, same data, one epoch each: the trained weights must agree (a correctness check).
    for m in models.values():
        for Xb, yb in batches:
            m.step(Xb, yb)
    w_edf, w_np = models["edf"].weights(), models["numpy"].weights()
    agree = max(float(np.abs(a - b).max() / (np.abs(b).max() + 1e-30)) for a, b in zip(w_edf, w_np))
    runs = {name: (m, batches) for name, m in models.items()}
    if torch is not None:
        tm = TorchMLP(weights, dt)
        runs["torch"] = (tm, tm.convert(batches))
    times, rounds = best_epoch_ms(runs)
    return times, rounds, len(batches), source, agree


def peak_step_bytes(B, sizes=(784, 128, 10)):
    rng = np.random.default_rng(0)
    model = EdfMLP(init_weights(list(sizes), rng), np.float64)
    X, y = rng.normal(size=(B, sizes[0])), rng.integers(0, sizes[-1], size=B)
    model.step(X, y)  # warm up
    tracemalloc.start()
    model.step(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main():
    rng = np.random.default_rng(0)
    print(
        f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}, "
        f"python {sys.version.split()[0]}"
    )
    print(
        "BLAS limited to 1 thread (threadpoolctl) and torch.set_num_threads(1), for a fair, stable comparison"
    )
    if UNSET:
        print(f"unset for this process only: {', '.join(UNSET)}")
    if torch is None:
        print("torch not importable: its column is skipped (pip install torch to see it)")
    else:
        torch.set_num_threads(1)
    print(
        "times: ms per epoch, best over interleaved repeats; same data, weights and steps in every column\n"
    )
    head = f"{'model':<11} {'batch':>5} {'dtype':<7} {'steps':>5} {'data':<14} {'edf':>8} {'numpy':>8}"
    head += f" {'torch':>8} {'edf/numpy':>9} {'edf/torch':>9} {'edf=numpy':>9} {'repeats':>7}"
    print(head)
    print("-" * len(head))
    with threadpool_limits(limits=1):
        for sizes, B in (([784, 128, 10], 64), ([64, 64, 10], 32)):
            for dt in (np.float32, np.float64):
                t, rounds, steps, source, agree = run_row(sizes, B, dt, rng)
                torch_ms = f"{t['torch']:8.2f}" if "torch" in t else f"{'-':>8}"
                vs_torch = f"{t['edf'] / t['torch']:9.2f}" if "torch" in t else f"{'-':>9}"
                print(
                    f"{'-'.join(map(str, sizes)):<11} {B:>5} {np.dtype(dt).name:<7} {steps:>5} {source:<14} "
                    f"{t['edf']:8.2f} {t['numpy']:8.2f} {torch_ms} {t['edf'] / t['numpy']:9.2f} {vs_torch} "
                    f"{agree:9.1e} {rounds:>7}"
                )
        print("\nedf=numpy: largest relative difference of the weights after one epoch (edf vs numpy)")
        print("\npeak memory of one edf training step (tracemalloc), 784-128-10, float64")
        print(f"{'batch':>6} {'peak MB':>9} {'KB per extra example':>21} {'one (B, 784, 128) array':>24}")
        prev = None
        for B in (16, 64, 256, 1024):
            peak = peak_step_bytes(B)
            slope = f"{(peak - prev[1]) / (B - prev[0]) / 1e3:21.1f}" if prev else f"{'':>21}"
            print(f"{B:>6} {peak / 1e6:9.2f} {slope} {B * 784 * 128 * 8 / 1e6:21.1f} MB")
            prev = (B, peak)
        print("growth is linear in B, about the size of one example's activations and gradients;")
        print("the weights' gradients (0.8 MB) are the fixed part, and no per-example outer product appears")


if __name__ == "__main__":
    edf_dt = edf.DT
    try:
        main()
    finally:
        edf.DT = edf_dt
