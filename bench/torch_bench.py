"""PyTorch CPU side of the pouw training benchmark.

Same data (a CSV with a `label` column last, or a safetensors file with `features` and `labels`,
U8 pixels read as value / 255 as pouw does), same model (pouw's syntax: `mlp:64,32:relu`,
`cnn:1x28x28:16k3p2,32k3p2:128:relu`, built as pouw builds it: "same"-padded convolutions, the
activation, max-pooling, then dense layers), same optimiser (Adam, lr 1e-3), same loss
(cross-entropy), same batch size, shuffled batches, same thread count as the burn run. Prints one
JSON line like `pouw bench`.
"""
import argparse
import json
import resource
import struct
import time

import numpy as np
import torch

DTYPES = {"U8": np.uint8, "F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64}


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    body = raw[8 + n :]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        start, end = t["data_offsets"]
        out[name] = np.frombuffer(body[start:end], dtype=DTYPES[t["dtype"]]).reshape(t["shape"])
    return out


def load(path):
    """Features as float32 [n, f] and labels as int64 [n]."""
    if path.endswith(".safetensors"):
        t = load_safetensors(path)
        x = t["features"].reshape(len(t["labels"]), -1)
        x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
        return torch.from_numpy(x), torch.from_numpy(t["labels"].astype(np.int64))
    raw = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    return torch.from_numpy(raw[:, :-1].copy()), torch.from_numpy(raw[:, -1].astype(np.int64))


ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid, "gelu": torch.nn.GELU}


def build(model, features, classes):
    """pouw's model syntax as an nn.Sequential with pouw's layer order."""
    parts = model.split(":")
    kind = parts[0]
    act = ACTIVATIONS[parts[-1]] if parts[-1] in ACTIVATIONS else torch.nn.ReLU
    layers, prev = [], features
    if kind == "cnn":
        c, h, w = (int(v) for v in parts[1].split("x"))
        layers.append(torch.nn.Unflatten(1, (c, h, w)))
        for conv in parts[2].split(","):
            out, rest = conv.split("k")
            k, pool = (rest.split("p") + ["1"])[:2]
            out, k, pool = int(out), int(k), int(pool)
            layers += [torch.nn.Conv2d(c, out, k, padding=k // 2), act()]
            if pool > 1:
                layers.append(torch.nn.MaxPool2d(pool))
                h, w = h // pool, w // pool
            c = out
        layers.append(torch.nn.Flatten())
        prev = c * h * w
        hidden = parts[3] if len(parts) > 4 else ""
    elif kind == "mlp":
        hidden = parts[1]
    else:
        hidden = ""
    for width in [int(v) for v in hidden.split(",") if v]:
        layers += [torch.nn.Linear(prev, width), act()]
        prev = width
    layers.append(torch.nn.Linear(prev, classes))
    return torch.nn.Sequential(*layers)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--test")
    p.add_argument("--model", default="mlp:64,32:relu")
    p.add_argument("--samples", type=int)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    x, y = load(a.data)
    if a.samples:
        x, y = x[: a.samples], y[: a.samples]
    test = load(a.test) if a.test else None
    n, f = x.shape
    classes = int(y.max()) + 1

    loss_fn = torch.nn.CrossEntropyLoss()

    def fresh():
        torch.manual_seed(42)
        model = build(a.model, f, classes)
        return model, torch.optim.Adam(model.parameters(), lr=1e-3)

    model, opt = fresh()

    def epoch():
        model.train()
        total = 0.0
        for idx in torch.randperm(n).split(a.batch_size):
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        return total / n

    def accuracy():
        if test is None:
            return None
        model.eval()
        with torch.no_grad():
            hits = sum(int((model(cx).argmax(1) == cy).sum()) for cx, cy in zip(test[0].split(1024), test[1].split(1024)))
        return hits / len(test[1])

    # A fresh one-epoch run first, as `pouw bench` does (a warm-up, and the loss and accuracy
    # "after one epoch"), then a fresh run of the measured epochs.
    first = epoch()
    first_accuracy = accuracy()
    model, opt = fresh()
    start = time.perf_counter()
    for _ in range(a.epochs):
        last = epoch()
    train_seconds = time.perf_counter() - start
    train_rate = a.epochs * n / train_seconds

    model.eval()
    scored = test[0] if test is not None else x
    rounds = a.rounds or (5 if test is not None else 20)
    start = time.perf_counter()
    with torch.no_grad():
        for _ in range(rounds):
            for chunk in scored.split(1024):
                model(chunk)
    eval_rate = rounds * len(scored) / (time.perf_counter() - start)
    print(json.dumps({
        "backend": f"pytorch {torch.__version__} cpu",
        "model": a.model,
        "samples": n,
        "test_samples": None if test is None else len(test[1]),
        "batch_size": a.batch_size,
        "epochs": a.epochs,
        "threads": torch.get_num_threads(),
        "train_samples_per_second": train_rate,
        "eval_samples_per_second": eval_rate,
        "first_epoch_train_loss": first,
        "final_train_loss": last,
        "test_accuracy_after_one_epoch": first_accuracy,
        "test_accuracy": accuracy(),
        "verification_cost": len(scored) / eval_rate / train_seconds,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))


if __name__ == "__main__":
    main()
