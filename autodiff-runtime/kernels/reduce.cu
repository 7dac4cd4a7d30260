// Reductions. Operation codes: 0 sum, 1 max (match `Reduce::code` in src/cuda/ops.rs).
//
// `reduce_rows`: x is `rows × n` (row-major); y[r] = reduce(x[r, :]). One block per row (grid-
// stride over rows), a shared-memory tree inside the block; blockDim must be a power of two and
// the launch gives it blockDim * sizeof(T) bytes of shared memory.
//
// `reduce_blocks`: the first pass of reducing all `n` elements of x with many blocks: block b
// reduces elements b·blockDim + t, stepping by gridDim·blockDim, into partial[b] (a second
// launch, `reduce_rows` with one row, reduces the partials). Same block and shared memory
// requirements as `reduce_rows`.
//
// `reduce_strided`: x is `outer × n × inner`; y[o, j] = reduce over k of x[o, k, j]. One thread
// per output element; neighbouring threads read neighbouring elements.

#define GRID_STRIDE(i, n) \
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; \
         i < (n); i += (unsigned long long)blockDim.x * gridDim.x)

template <typename T>
__device__ __forceinline__ T combine(int op, T a, T b) {
    return op == 0 ? a + b : (a > b || b != b ? a : b);
}

// Combines every thread's `acc` across the block through a tree in shared memory; thread 0
// gets the result. Returns with the block synchronised, so the shared memory can be reused.
template <typename T>
__device__ T block_combine(int op, T acc) {
    extern __shared__ unsigned char shared_bytes[];
    T* shared = reinterpret_cast<T*>(shared_bytes);
    shared[threadIdx.x] = acc;
    __syncthreads();
    for (unsigned int width = blockDim.x / 2; width > 0; width >>= 1) {
        if (threadIdx.x < width) {
            shared[threadIdx.x] = combine(op, shared[threadIdx.x], shared[threadIdx.x + width]);
        }
        __syncthreads();
    }
    T result = shared[0];
    __syncthreads();
    return result;
}

template <typename T>
__device__ void reduce_rows(int op, unsigned long long rows, unsigned long long n, T init,
                            const T* x, T* y) {
    for (unsigned long long row = blockIdx.x; row < rows; row += gridDim.x) {
        T acc = init;
        for (unsigned long long j = threadIdx.x; j < n; j += blockDim.x) {
            acc = combine(op, acc, x[row * n + j]);
        }
        T total = block_combine(op, acc);
        if (threadIdx.x == 0) {
            y[row] = total;
        }
    }
}

template <typename T>
__device__ void reduce_blocks(int op, unsigned long long n, T init, const T* x, T* partial) {
    T acc = init;
    GRID_STRIDE(i, n) { acc = combine(op, acc, x[i]); }
    T total = block_combine(op, acc);
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = total;
    }
}

template <typename T>
__device__ void reduce_strided(int op, unsigned long long outer, unsigned long long n,
                               unsigned long long inner, T init, const T* x, T* y) {
    GRID_STRIDE(i, outer * inner) {
        unsigned long long o = i / inner, j = i % inner;
        const T* base = x + o * n * inner + j;
        T acc = init;
        for (unsigned long long k = 0; k < n; ++k) {
            acc = combine(op, acc, base[k * inner]);
        }
        y[i] = acc;
    }
}

#define INSTANTIATE(T, S)                                                                      \
    extern "C" __global__ void reduce_rows_##S(int op, unsigned long long rows,                \
                                               unsigned long long n, T init, const T* x, T* y) { \
        reduce_rows<T>(op, rows, n, init, x, y);                                               \
    }                                                                                          \
    extern "C" __global__ void reduce_blocks_##S(int op, unsigned long long n, T init,         \
                                                 const T* x, T* partial) {                    \
        reduce_blocks<T>(op, n, init, x, partial);                                             \
    }                                                                                          \
    extern "C" __global__ void reduce_strided_##S(int op, unsigned long long outer,            \
                                                  unsigned long long n, unsigned long long inner, \
                                                  T init, const T* x, T* y) {                  \
        reduce_strided<T>(op, outer, n, inner, init, x, y);                                    \
    }

INSTANTIATE(float, f32)
INSTANTIATE(double, f64)
