// Runs CUDA kernels written in the subset used by src/main/cuda as plain C++20 on the host, so the CPU
// tests execute the very same kernel source: one std::thread per CUDA thread, blocks one after another,
// __syncthreads() as a std::barrier shared by the block's threads. Code that silently relies on warp
// lock-step or misses a barrier shows up as wrong numbers or, under -fsanitize=thread, as a data race.
#pragma once

#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

inline thread_local dim3 threadIdx;
inline thread_local dim3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;

// Blocks run one at a time, so one process-wide barrier pointer is enough, and a function-local static
// is exactly one instance per block, like shared memory.
inline std::barrier<>* xlstm_shim_barrier = nullptr;

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __restrict__ __restrict

using std::min;
using std::max;

inline void __syncthreads() { xlstm_shim_barrier->arrive_and_wait(); }

// Kernel<<<grid, block>>>(args...) as a host call. Kernels take pointers and ints by value.
template <typename... Params, typename... Args>
void shim_launch(void (*kernel)(Params...), dim3 grid, dim3 block, Args... args) {
    const unsigned nthreads = block.x * block.y * block.z;
    for (unsigned bz = 0; bz < grid.z; ++bz)
        for (unsigned by = 0; by < grid.y; ++by)
            for (unsigned bx = 0; bx < grid.x; ++bx) {
                std::barrier<> bar(nthreads);
                xlstm_shim_barrier = &bar;
                std::vector<std::thread> threads;
                threads.reserve(nthreads);
                for (unsigned t = 0; t < nthreads; ++t) {
                    threads.emplace_back([&, t] {
                        threadIdx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
                        blockIdx = dim3(bx, by, bz);
                        blockDim = block;
                        gridDim = grid;
                        kernel(args...);
                        // A finished thread must not hold back the barriers of those still running.
                        bar.arrive_and_drop();
                    });
                }
                for (auto& th : threads) th.join();
                xlstm_shim_barrier = nullptr;
            }
}
