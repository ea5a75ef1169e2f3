#!/usr/bin/env bash
# Builds the kernel binaries the Java launcher embeds, into $1 (a resource folder):
#   mlstm_kernels.fatbin   SASS for sm_75, sm_80, sm_86, sm_89, sm_90 and PTX for compute_90
#   mlstm_kernels_isa70.ptx  PTX for sm_75 with its ISA version lowered to 7.0, so that drivers from
#                            R450 (CUDA 11.0) can JIT it; nvcc 13's own PTX and cubins need an R580+ driver
# The kernel files are concatenated in a fixed order (they contain no #include, for NVRTC's sake).
# Without nvcc on PATH this prints why and exits successfully: the launcher then falls back to NVRTC.
set -euo pipefail
out="$1"
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v nvcc >/dev/null 2>&1; then
    echo "nvcc not found: skipping the CUDA fatbin build (the kernels will be compiled at run time by NVRTC)"
    exit 0
fi
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
src="$work/mlstm_kernels.cu"
cat "$here/mlstm_common.cuh" "$here/mlstm_glue.cu" "$here/mlstm_forward.cu" "$here/mlstm_backward.cu" \
    "$here/mlstm_step.cu" > "$src"
if [ -f "$out/mlstm_kernels.fatbin" ] && [ -f "$out/mlstm_kernels_isa70.ptx" ] \
   && [ -z "$(find "$here" -newer "$out/mlstm_kernels.fatbin" -type f)" ]; then
    echo "CUDA fatbin is up to date"
    exit 0
fi
# -fmad=true is nvcc's default; stated because the CPU tests cannot reproduce FMA rounding.
nvcc -fatbin -O3 -fmad=true -std=c++17 \
    -gencode arch=compute_75,code=sm_75 \
    -gencode arch=compute_80,code=sm_80 \
    -gencode arch=compute_86,code=sm_86 \
    -gencode arch=compute_89,code=sm_89 \
    -gencode arch=compute_90,code=sm_90 \
    -gencode arch=compute_90,code=compute_90 \
    -o "$work/mlstm_kernels.fatbin" "$src"
nvcc -ptx -O3 -std=c++17 -arch=compute_75 -o "$work/mlstm_kernels.ptx" "$src"
sed -E 's/^\.version [0-9]+\.[0-9]+/.version 7.0/' "$work/mlstm_kernels.ptx" > "$work/mlstm_kernels_isa70.ptx"
# ptxas checks that the lowered PTX uses nothing newer than ISA 7.0.
ptxas -arch=sm_75 -o "$work/check.cubin" "$work/mlstm_kernels_isa70.ptx"
cp "$work/mlstm_kernels.fatbin" "$work/mlstm_kernels_isa70.ptx" "$out/"
echo "CUDA fatbin built: $out/mlstm_kernels.fatbin"
