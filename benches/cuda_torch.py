"""PyTorch doing the work of benches/cuda.rs on the same GPU, for its ratios: run by that bench
(`python3 benches/cuda_torch.py`), it prints one line per case: `name median_seconds`.

Each case runs a few times to warm up, then its median over repeated CUDA-event-timed runs.
"""

import statistics

import torch


def median_seconds(fn, repeats=50):
    for _ in range(5):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return statistics.median(times)


def main():
    dev = torch.device("cuda")
    n = 1 << 26
    x = torch.randn(n, device=dev)
    y = torch.randn(n, device=dev)
    out = torch.empty_like(x)
    print("copy", median_seconds(lambda: out.copy_(x)))
    print("scale", median_seconds(lambda: x * 2.0))
    print("add", median_seconds(lambda: x + y))
    print("tanh", median_seconds(lambda: x.tanh()))
    print("sum", median_seconds(lambda: x.sum()))
    for dtype, name in [(torch.float32, "matmul_f32"), (torch.float64, "matmul_f64")]:
        torch.backends.cuda.matmul.allow_tf32 = False
        a = torch.randn(4096, 4096, device=dev, dtype=dtype)
        b = torch.randn(4096, 4096, device=dev, dtype=dtype)
        print(name, median_seconds(lambda: a @ b, repeats=20))

    # S13: one step of the two-layer net, forward, backward and Adam
    torch.manual_seed(0)
    xs = torch.randn(64, 1000, device=dev)
    ys = torch.randn(64, 10, device=dev)
    model = torch.nn.Sequential(
        torch.nn.Linear(1000, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10)
    ).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step():
        opt.zero_grad()
        loss = ((model(xs) - ys) ** 2).sum()
        loss.backward()
        opt.step()

    print("s13_step", median_seconds(step, repeats=200))


if __name__ == "__main__":
    main()
