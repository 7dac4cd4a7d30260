// Optimiser updates, in place, computed in the parameter's type.

#define GRID_STRIDE(i, n) \
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; \
         i < (n); i += (unsigned long long)blockDim.x * gridDim.x)

// op 0: y += alpha * x      op 1: y += alpha * x * x
template <typename T>
__device__ void update(int op, unsigned long long n, T alpha, const T* x, T* y) {
    GRID_STRIDE(i, n) {
        T v = x[i];
        y[i] += op == 0 ? alpha * v : alpha * v * v;
    }
}

// One fused Adam step (PyTorch's, bias-corrected), reading the gradient once:
//   m = b1 m + c1 g;  v = b2 v + c2 g²;  p -= step * m / (sqrt(v / bias2) + eps)
// with c1 = 1 - b1, c2 = 1 - b2, step = lr / (1 - b1^t) and bias2 = 1 - b2^t computed on the
// host in double precision (1 - 0.999f is 1.3e-5 off).
template <typename T>
__device__ void adam(unsigned long long n, T* p, T* m, T* v, const T* g, T b1, T c1, T b2, T c2,
                     T step, T bias2, T eps) {
    GRID_STRIDE(i, n) {
        T gi = g[i];
        T mi = b1 * m[i] + c1 * gi;
        T vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= step * mi / (sqrt(vi / bias2) + eps);
    }
}

// Only the final step: p -= step * m / (sqrt(v / bias2) + eps)
template <typename T>
__device__ void adam_step(unsigned long long n, T* p, const T* m, const T* v, T step, T bias2,
                          T eps) {
    GRID_STRIDE(i, n) { p[i] -= step * m[i] / (sqrt(v[i] / bias2) + eps); }
}

#define INSTANTIATE(T, S)                                                                      \
    extern "C" __global__ void update_##S(int op, unsigned long long n, T alpha, const T* x,   \
                                          T* y) {                                              \
        update<T>(op, n, alpha, x, y);                                                         \
    }                                                                                          \
    extern "C" __global__ void adam_##S(unsigned long long n, T* p, T* m, T* v, const T* g,    \
                                        T b1, T c1, T b2, T c2, T step, T bias2, T eps) {      \
        adam<T>(n, p, m, v, g, b1, c1, b2, c2, step, bias2, eps);                              \
    }                                                                                          \
    extern "C" __global__ void adam_step_##S(unsigned long long n, T* p, const T* m,           \
                                             const T* v, T step, T bias2, T eps) {             \
        adam_step<T>(n, p, m, v, step, bias2, eps);                                            \
    }

INSTANTIATE(float, f32)
INSTANTIATE(double, f64)
