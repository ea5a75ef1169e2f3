#!/usr/bin/env bash
# Builds the CPU test binaries of the CUDA kernels (g++ through the SIMT shim) into $1:
#   mlstm_harness_small    small blocks/tiles (8 threads per tile row) so every tile edge case is cheap
#   mlstm_harness_default  the production sizes (256 threads, 64-wide tiles, chunks up to 64)
#   mlstm_harness_tsan     small sizes under ThreadSanitizer
#   mlstm_harness_tsan_drop  the same with one __syncthreads() removed (the race test must catch it)
# Skips with a message when g++ is absent; rebuilds only when a source is newer than the binary.
set -euo pipefail
out="$1"
here="$(cd "$(dirname "$0")" && pwd)"
cuda="$here/../../main/cuda"
if ! command -v g++ >/dev/null 2>&1; then
    echo "g++ not found: skipping the CPU kernel harness build (the CPU kernel tests will be skipped)"
    exit 0
fi
mkdir -p "$out"
small="-DXLSTM_THREADS=32 -DXLSTM_MAX_CHUNK=16 -DXLSTM_TILE=16 -DXLSTM_KSTEP=4"
# Barrier 1 is the one in tile_mma between staging the operand slabs and multiplying them.
drop_id=1
build() {
    local name="$1"; shift
    local bin="$out/$name"
    if [ -f "$bin" ] && [ -z "$(find "$here" "$cuda" -newer "$bin" -type f \( -name '*.cu' -o -name '*.cuh' -o -name '*.h' -o -name '*.cpp' -o -name '*.sh' \))" ]; then
        return 0
    fi
    g++ -std=c++20 -pthread -I"$here" -I"$cuda" -x c++ "$here/mlstm_harness.cpp" -o "$bin.tmp" "$@"
    mv "$bin.tmp" "$bin"
}
# Two builds at a time; each wait names its job so that a failed build fails the script.
build mlstm_harness_small -O2 $small & p1=$!
build mlstm_harness_default -O2 & p2=$!
wait $p1; wait $p2
build mlstm_harness_tsan -O1 -g -fsanitize=thread $small & p1=$!
build mlstm_harness_tsan_drop -O1 -g -fsanitize=thread $small -DXLSTM_TEST_DROP_SYNC=$drop_id & p2=$!
wait $p1; wait $p2
echo "CPU kernel harness built in $out"
