// Data movement: blocks copied between strided places (narrow, select, cat, batches) and
// transposes of the last two dimensions.

#define GRID_STRIDE(i, n) \
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; \
         i < (n); i += (unsigned long long)blockDim.x * gridDim.x)

// For each of `outer` blocks o and each j < len:
//   dst[o * dst_stride + dst_offset + j] = src[o * src_stride + src_offset + j]
template <typename T>
__device__ void copy_blocks(unsigned long long outer, unsigned long long len, const T* src,
                            unsigned long long src_stride, unsigned long long src_offset, T* dst,
                            unsigned long long dst_stride, unsigned long long dst_offset) {
    GRID_STRIDE(i, outer * len) {
        unsigned long long o = i / len, j = i % len;
        dst[o * dst_stride + dst_offset + j] = src[o * src_stride + src_offset + j];
    }
}

// x is `batches × m × n`, y is `batches × n × m`: y[b, j, i] = x[b, i, j].
template <typename T>
__device__ void transpose(unsigned long long batches, unsigned long long m, unsigned long long n,
                          const T* x, T* y) {
    GRID_STRIDE(k, batches * m * n) {
        unsigned long long b = k / (m * n), r = k % (m * n);
        unsigned long long j = r / m, i = r % m;  // y's index (b, j, i): consecutive k write y
        y[k] = x[b * m * n + i * n + j];
    }
}

#define INSTANTIATE(T, S)                                                                      \
    extern "C" __global__ void copy_blocks_##S(                                               \
        unsigned long long outer, unsigned long long len, const T* src,                        \
        unsigned long long src_stride, unsigned long long src_offset, T* dst,                  \
        unsigned long long dst_stride, unsigned long long dst_offset) {                        \
        copy_blocks<T>(outer, len, src, src_stride, src_offset, dst, dst_stride, dst_offset);  \
    }                                                                                          \
    extern "C" __global__ void transpose_##S(unsigned long long batches, unsigned long long m,  \
                                             unsigned long long n, const T* x, T* y) {         \
        transpose<T>(batches, m, n, x, y);                                                     \
    }

INSTANTIATE(float, f32)
INSTANTIATE(double, f64)
