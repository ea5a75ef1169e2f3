package org.xlstm.dl4j.imports;

/**
 * Parameter counts of the official PyTorch modules, derived from the shapes they create (as in the
 * official state dicts). LayerNorms and group norms have a weight and no bias; linear layers, q/k/v
 * and the feed-forward carry biases only when configured; the causal convolution always has one.
 */
public final class OfficialParameterCount {

    private OfficialParameterCount() {
    }

    /** token embedding + block stack + untied head (a tied head shares the embedding, counted once). */
    public static long of(XlstmLmConfig config) {
        long embedding = (long) config.getVocabSize() * config.getStack().getEmbeddingDim();
        return embedding + of(config.getStack()) + (config.isTieWeights() ? 0 : embedding);
    }

    public static long of(XlstmStackConfig config) {
        long total = config.isAddPostBlocksNorm() ? config.getEmbeddingDim() : 0;
        for (BlockType type : config.getBlockTypes()) {
            total += type == BlockType.MLSTM ? mlstmBlock(config.getMlstm())
                    : slstmBlock(config.getSlstm(), config.getSlstmFeedForward());
        }
        return total;
    }

    /** xlstm_norm + mLSTM layer. */
    public static long mlstmBlock(MlstmLayerConfig c) {
        long e = c.getEmbeddingDim();
        long inner = c.getInnerSize();
        long heads = c.getNumHeads();
        long biasPerOutput = c.isBias() ? 1 : 0;
        long projUp = e * 2 * inner + biasPerOutput * 2 * inner;
        // q, k, v: block-diagonal with inner/blocksize blocks of blocksize x blocksize.
        long qkv = 3 * (inner * c.getQkvProjBlocksize() + biasPerOutput * inner);
        long conv = c.getConv1dKernelSize() > 0 ? inner * c.getConv1dKernelSize() + inner : 0;
        long learnableSkip = inner;
        // input and forget gates: Linear(3 * inner -> heads) with bias, always.
        long gates = 2 * (3 * inner * heads + heads);
        long outnorm = inner;
        long projDown = inner * e + biasPerOutput * e;
        return e + projUp + qkv + conv + learnableSkip + gates + outnorm + projDown;
    }

    /** xlstm_norm + sLSTM layer + (ffn_norm + gated feed-forward when present). */
    public static long slstmBlock(SlstmLayerConfig c, FeedForwardConfig feedForward) {
        long e = c.getEmbeddingDim();
        long head = c.getHeadSize();
        long conv = c.getConv1dKernelSize() > 0 ? e * c.getConv1dKernelSize() + e : 0;
        // i, f, z, o input projections: headwise, no bias, heads x head x head each.
        long gateProjections = 4 * e * head;
        long recurrentKernel = 4 * e * head;
        long cellBias = 4 * e;
        long groupNorm = c.isGroupNormWeight() ? e : 0;
        long total = e + conv + gateProjections + recurrentKernel + cellBias + groupNorm;
        if (feedForward != null) {
            long inner = feedForward.getInnerSize();
            long biasPerOutput = feedForward.isBias() ? 1 : 0;
            total += e + e * 2 * inner + biasPerOutput * 2 * inner + inner * e + biasPerOutput * e;
        }
        return total;
    }
}
