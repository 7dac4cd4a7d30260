// Elementwise kernels: unary functions (with one scalar parameter), binary operations with
// NumPy broadcasting, dtype casts and fills. Each template is instantiated for float and
// double as `NAME_f32` / `NAME_f64` at the end of the file.
//
// Every kernel walks its elements with a grid-stride loop, so any grid size covers any length.
// Operation codes match `Unary::code` and `Binary::code` in src/cuda/ops.rs.

#define GRID_STRIDE(i, n) \
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; \
         i < (n); i += (unsigned long long)blockDim.x * gridDim.x)

template <typename T>
__device__ __forceinline__ T unary_op(int op, T x, T p) {
    switch (op) {
        case 0: return -x;                                          // neg
        case 1: return x > T(0) ? x : T(0);                         // relu
        case 2: return T(1) / (T(1) + exp(-x));                     // sigmoid
        case 3: return tanh(x);                                     // tanh
        case 4: return exp(x);                                      // exp
        case 5: return log(x);                                      // ln
        case 6: return sin(x);                                      // sin
        case 7: return cos(x);                                      // cos
        case 8: return sqrt(x);                                     // sqrt
        case 9: return fabs(x);                                     // abs
        case 10: return x > T(0) ? T(1) : (x < T(0) ? T(-1) : (x == T(0) ? T(0) : x)); // sign: 0 at 0, NaN at NaN
        case 11: return x > T(0) ? T(1) : T(0);                     // step: relu's derivative
        case 12: return pow(x, p);                                  // powi (p integral)
        case 13: return pow(x, p);                                  // powf
        case 14: return x + p;
        case 15: return x - p;
        case 16: return p - x;
        case 17: return x * p;
        case 18: return x / p;
        case 19: return p / x;
        default: return x;
    }
}

template <typename T>
__device__ __forceinline__ T binary_op(int op, T a, T b) {
    switch (op) {
        case 0: return a + b;
        case 1: return a - b;
        case 2: return a * b;
        case 3: return a / b;
        case 4: return a == b ? T(1) : T(0);                        // eq: masks of maxima
        default: return a;
    }
}

// y[i] = f(x[i])
template <typename T>
__device__ void unary(int op, unsigned long long n, const T* x, T* y, T p) {
    GRID_STRIDE(i, n) { y[i] = unary_op(op, x[i], p); }
}

// y[i] = a[i] op b[i], operands of one shape
template <typename T>
__device__ void binary_same(int op, unsigned long long n, const T* a, const T* b, T* y) {
    GRID_STRIDE(i, n) { y[i] = binary_op(op, a[i], b[i]); }
}

// The broadcast form: `dims` holds the output's `ndim` sizes, then `a`'s strides, then `b`'s
// (0 along broadcast dimensions), all in elements; at most 8 dimensions.
struct Layout {
    unsigned long long v[24];
};

// The offsets of element i of the output in a and b; `Index` is 32-bit when every offset fits
// (64-bit division costs tens of instructions, enough to make a broadcast compute-bound).
template <typename Index>
__device__ __forceinline__ void offsets(Index i, int ndim, const Layout& l, Index& ia, Index& ib) {
    Index rest = i;
    ia = 0;
    ib = 0;
    for (int d = ndim - 1; d >= 0; --d) {
        Index size = (Index)l.v[d];
        Index q = rest % size;
        rest /= size;
        ia += q * (Index)l.v[8 + d];
        ib += q * (Index)l.v[16 + d];
    }
}

template <typename T>
__device__ void binary_strided(int op, unsigned long long n, int ndim, Layout l, const T* a,
                               const T* b, T* y) {
    if (n <= 0xffffffffull) {
        unsigned int ia, ib;
        GRID_STRIDE(i, n) {
            offsets<unsigned int>((unsigned int)i, ndim, l, ia, ib);
            y[i] = binary_op(op, a[ia], b[ib]);
        }
    } else {
        unsigned long long ia, ib;
        GRID_STRIDE(i, n) {
            offsets<unsigned long long>(i, ndim, l, ia, ib);
            y[i] = binary_op(op, a[ia], b[ib]);
        }
    }
}

// y[i] += x[i] (gradient accumulation into a buffer)
template <typename T>
__device__ void accumulate(unsigned long long n, const T* x, T* y) {
    GRID_STRIDE(i, n) { y[i] += x[i]; }
}

template <typename T>
__device__ void fill(unsigned long long n, T value, T* y) {
    GRID_STRIDE(i, n) { y[i] = value; }
}

#define INSTANTIATE(T, S)                                                                      \
    extern "C" __global__ void unary_##S(int op, unsigned long long n, const T* x, T* y, T p) {  \
        unary<T>(op, n, x, y, p);                                                              \
    }                                                                                          \
    extern "C" __global__ void binary_same_##S(int op, unsigned long long n, const T* a,        \
                                               const T* b, T* y) {                             \
        binary_same<T>(op, n, a, b, y);                                                        \
    }                                                                                          \
    extern "C" __global__ void binary_strided_##S(int op, unsigned long long n, int ndim,       \
                                                  Layout l, const T* a, const T* b, T* y) {    \
        binary_strided<T>(op, n, ndim, l, a, b, y);                                            \
    }                                                                                          \
    extern "C" __global__ void accumulate_##S(unsigned long long n, const T* x, T* y) {         \
        accumulate<T>(n, x, y);                                                                \
    }                                                                                          \
    extern "C" __global__ void fill_##S(unsigned long long n, T value, T* y) {                 \
        fill<T>(n, value, y);                                                                  \
    }

INSTANTIATE(float, f32)
INSTANTIATE(double, f64)

extern "C" __global__ void cast_f32_f64(unsigned long long n, const float* x, double* y) {
    GRID_STRIDE(i, n) { y[i] = (double)x[i]; }
}

extern "C" __global__ void cast_f64_f32(unsigned long long n, const double* x, float* y) {
    GRID_STRIDE(i, n) { y[i] = (float)x[i]; }
}
