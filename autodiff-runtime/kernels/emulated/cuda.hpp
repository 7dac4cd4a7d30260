// Just enough of CUDA's programming model to run our kernels on the CPU, for tests on machines
// without a GPU: each launch runs its blocks one after another, and a block's threads as real
// threads (so __syncthreads and shared memory behave), with blockIdx/threadIdx per thread.
// Checks index arithmetic, bounds and the reductions' trees; not timing, not the GPU's math.
#pragma once
#include <barrier>
#include <math.h>
#include <thread>
#include <vector>

struct Dim3 {
    unsigned x = 1, y = 1, z = 1;
};
thread_local Dim3 threadIdx, blockIdx;
Dim3 blockDim, gridDim;
std::barrier<>* block_barrier = nullptr;

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__

inline void __syncthreads() { block_barrier->arrive_and_wait(); }

// `extern __shared__ unsigned char shared_bytes[]` in a kernel refers to this.
alignas(16) unsigned char shared_bytes[1 << 16];

// Runs `kernel()` as `grid` blocks of `block` threads.
template <class Kernel>
void launch(unsigned grid, unsigned block, Kernel kernel) {
    gridDim.x = grid;
    blockDim.x = block;
    for (unsigned b = 0; b < grid; ++b) {
        std::barrier<> bar(block);
        block_barrier = &bar;
        std::vector<std::thread> threads;
        for (unsigned t = 0; t < block; ++t) {
            threads.emplace_back([&, t, b] {
                threadIdx.x = t;
                blockIdx.x = b;
                kernel();
            });
        }
        for (auto& th : threads) th.join();
    }
}
