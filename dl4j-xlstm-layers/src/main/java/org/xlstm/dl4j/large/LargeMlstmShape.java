package org.xlstm.dl4j.large;

/**
 * Sizes and settings of one xLSTM-Large mLSTM layer, validated by the layer configuration that builds it.
 *
 * <p>The official layer has query/key heads of {@code qkHeadDim} and value heads of {@code vHeadDim}
 * features; the matrix-memory kernels take one head size for all three. Both are therefore padded with zeros
 * to {@link #kernelHeadDim()}: zero key features add nothing to q·k or q·n, and zero value features give
 * hidden features that are dropped. The kernels scale keys by 1/sqrt(kernel head size) where the official
 * cell scales by 1/sqrt(qkHeadDim); queries are multiplied by {@link #queryScale()} to make up the difference.
 */
final class LargeMlstmShape {
    final long embeddingDim;
    final int heads;
    final long qkDim;
    final long vDim;
    final boolean bias;
    final double normEps;
    final double gateSoftCap;
    final int chunkSize;

    LargeMlstmShape(long embeddingDim, int heads, long qkDim, long vDim, boolean bias, double normEps,
                    double gateSoftCap, int chunkSize) {
        this.embeddingDim = embeddingDim;
        this.heads = heads;
        this.qkDim = qkDim;
        this.vDim = vDim;
        this.bias = bias;
        this.normEps = normEps;
        this.gateSoftCap = gateSoftCap;
        this.chunkSize = chunkSize;
    }

    long qkHeadDim() {
        return qkDim / heads;
    }

    long vHeadDim() {
        return vDim / heads;
    }

    long kernelHeadDim() {
        return Math.max(qkHeadDim(), vHeadDim());
    }

    double queryScale() {
        return Math.sqrt((double) kernelHeadDim() / qkHeadDim());
    }
}
