"""PyTorch CPU side of the pouw training benchmark.

Same data (the demo CSV), same model (MLP with the given hidden widths and ReLU), same optimiser
(Adam, lr 1e-3), same loss (cross-entropy), same batch size, shuffled batches, same thread count
as the burn run. Prints one JSON line like `pouw bench`.
"""
import argparse
import json
import resource
import time

import numpy as np
import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--hidden", default="64,32")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=20)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    raw = np.loadtxt(a.data, delimiter=",", skiprows=1, dtype=np.float32)
    x = torch.from_numpy(raw[:, :-1].copy())
    y = torch.from_numpy(raw[:, -1].astype(np.int64))
    n, f = x.shape
    classes = int(y.max()) + 1

    layers, prev = [], f
    for w in [int(v) for v in a.hidden.split(",")]:
        layers += [torch.nn.Linear(prev, w), torch.nn.ReLU()]
        prev = w
    layers.append(torch.nn.Linear(prev, classes))
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch():
        total = 0.0
        for idx in torch.randperm(n).split(a.batch_size):
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        return total / n

    epoch()  # warm-up, as the burn side does
    start = time.perf_counter()
    for _ in range(a.epochs):
        last = epoch()
    train_rate = a.epochs * n / (time.perf_counter() - start)

    model.eval()
    start = time.perf_counter()
    with torch.no_grad():
        for _ in range(a.rounds):
            for chunk in x.split(1024):
                model(chunk)
    eval_rate = a.rounds * n / (time.perf_counter() - start)
    print(json.dumps({
        "backend": f"pytorch {torch.__version__} cpu",
        "samples": n,
        "batch_size": a.batch_size,
        "epochs": a.epochs,
        "threads": torch.get_num_threads(),
        "train_samples_per_second": train_rate,
        "eval_samples_per_second": eval_rate,
        "final_train_loss": last,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))


if __name__ == "__main__":
    main()
