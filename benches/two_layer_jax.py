"""SEEDS S13 in JAX on the CPU, for `benches/two_layer.rs`: the same two-layer net (N = 64,
D_in = 1000, H = 100, D_out = 10, Linear-ReLU-Linear, summed squared error, Adam lr 1e-4,
float32), timed two ways:

- `step`: one training step (forward, gradient, Adam) as one `jax.jit` call;
- `loop`: 500 steps in one `jax.jit` call (`lax.fori_loop`), divided by 500.

Prints `name seconds` per line (medians over repetitions); run by the bench with `python3`
(or `$AUTODIFF_PYTHON`), which prints the ratios and says why when JAX is not installed.
"""

import time

import jax
import jax.numpy as jnp

N, D_IN, H, D_OUT, LR = 64, 1000, 100, 10, 1e-4
B1, B2, EPS = 0.9, 0.999, 1e-8


def loss(params, x, y):
    w1, b1, w2, b2 = params
    h = jnp.maximum(x @ w1.T + b1, 0.0)
    pred = h @ w2.T + b2
    return jnp.sum((pred - y) ** 2)


def step(state, x, y):
    params, m, v, t = state
    value, grads = jax.value_and_grad(loss)(params, x, y)
    t = t + 1
    m = [B1 * mi + (1 - B1) * g for mi, g in zip(m, grads)]
    v = [B2 * vi + (1 - B2) * g * g for vi, g in zip(v, grads)]
    mhat = [mi / (1 - B1**t) for mi in m]
    vhat = [vi / (1 - B2**t) for vi in v]
    params = [p - LR * mh / (jnp.sqrt(vh) + EPS) for p, mh, vh in zip(params, mhat, vhat)]
    return (params, m, v, t), value


def main():
    keys = jax.random.split(jax.random.PRNGKey(0), 6)
    x = jax.random.normal(keys[0], (N, D_IN), jnp.float32)
    y = jax.random.normal(keys[1], (N, D_OUT), jnp.float32)
    bound1, bound2 = 1 / D_IN**0.5, 1 / H**0.5
    params = [
        jax.random.uniform(keys[2], (H, D_IN), jnp.float32, -bound1, bound1),
        jax.random.uniform(keys[3], (H,), jnp.float32, -bound1, bound1),
        jax.random.uniform(keys[4], (D_OUT, H), jnp.float32, -bound2, bound2),
        jax.random.uniform(keys[5], (D_OUT,), jnp.float32, -bound2, bound2),
    ]
    zeros = [jnp.zeros_like(p) for p in params]
    state = (params, zeros, [jnp.zeros_like(p) for p in params], jnp.float32(0))

    one = jax.jit(step)
    state, value = one(state, x, y)
    value.block_until_ready()
    times = []
    for _ in range(30):
        start = time.perf_counter()
        for _ in range(20):
            state, value = one(state, x, y)
        value.block_until_ready()
        times.append((time.perf_counter() - start) / 20)
    times.sort()
    print(f"step {times[len(times) // 2]:.9f}")

    @jax.jit
    def loop(state):
        return jax.lax.fori_loop(0, 500, lambda _, s: step(s, x, y)[0], state)

    jax.block_until_ready(loop(state))
    times = []
    for _ in range(7):
        start = time.perf_counter()
        jax.block_until_ready(loop(state))
        times.append((time.perf_counter() - start) / 500)
    times.sort()
    print(f"loop {times[len(times) // 2]:.9f}")


if __name__ == "__main__":
    main()
