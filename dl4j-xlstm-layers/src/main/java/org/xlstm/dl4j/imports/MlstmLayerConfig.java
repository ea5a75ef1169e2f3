package org.xlstm.dl4j.imports;

import java.util.Objects;

/**
 * The official {@code mLSTMLayerConfig} (inside {@code mLSTMBlockConfig.mlstm}), with the values the
 * block stack pushes down into it (embedding_dim, bias, dropout, context_length) already applied.
 * Defaults are those of the official dataclass: conv1d_kernel_size 4, qkv_proj_blocksize 4,
 * num_heads 4, proj_factor 2.0, round_proj_up_dim_up true, round_proj_up_to_multiple_of 64.
 */
public final class MlstmLayerConfig {

    static final String PREFIX = "mlstm_block.mlstm.";

    private final int embeddingDim;
    private final int conv1dKernelSize;
    private final int qkvProjBlocksize;
    private final int numHeads;
    private final double projFactor;
    private final boolean roundProjUpDimUp;
    private final int roundProjUpToMultipleOf;
    private final boolean bias;
    private final double dropout;
    private final int contextLength;
    private final int innerSize;

    public MlstmLayerConfig(int embeddingDim, int conv1dKernelSize, int qkvProjBlocksize, int numHeads,
                            double projFactor, boolean roundProjUpDimUp, int roundProjUpToMultipleOf,
                            boolean bias, double dropout, int contextLength) {
        Checks.atLeast("embedding_dim", embeddingDim, 1);
        Checks.atMost("embedding_dim", embeddingDim, ConfigLimits.MAX_EMBEDDING_DIM);
        Checks.atLeast(PREFIX + "conv1d_kernel_size", conv1dKernelSize, 0);
        Checks.atMost(PREFIX + "conv1d_kernel_size", conv1dKernelSize, ConfigLimits.MAX_CONV1D_KERNEL_SIZE);
        Checks.atLeast(PREFIX + "qkv_proj_blocksize", qkvProjBlocksize, 1);
        Checks.atLeast(PREFIX + "num_heads", numHeads, 1);
        Checks.positive(PREFIX + "proj_factor", projFactor);
        Checks.atLeast(PREFIX + "round_proj_up_to_multiple_of", roundProjUpToMultipleOf, 1);
        Checks.probability("dropout", dropout);
        Checks.atLeast("context_length", contextLength, -1);
        Checks.atMost("context_length", contextLength, ConfigLimits.MAX_CONTEXT_LENGTH);
        this.embeddingDim = embeddingDim;
        this.conv1dKernelSize = conv1dKernelSize;
        this.qkvProjBlocksize = qkvProjBlocksize;
        this.numHeads = numHeads;
        this.projFactor = projFactor;
        this.roundProjUpDimUp = roundProjUpDimUp;
        this.roundProjUpToMultipleOf = roundProjUpToMultipleOf;
        this.bias = bias;
        this.dropout = dropout;
        this.contextLength = contextLength;
        this.innerSize = UpProjection.innerSize(PREFIX + "proj_factor", projFactor, embeddingDim, roundProjUpDimUp, roundProjUpToMultipleOf);
        if (innerSize < 1) {
            throw new ConfigException("config key '" + PREFIX + "proj_factor': " + projFactor + " * "
                    + embeddingDim + " rounds down to an inner size of 0");
        }
        Checks.divides(PREFIX + "num_heads", numHeads, "the inner size", innerSize);
        Checks.divides(PREFIX + "qkv_proj_blocksize", qkvProjBlocksize, "the inner size", innerSize);
    }

    static MlstmLayerConfig parse(ConfigMap layer, int embeddingDim, boolean bias, double dropout, int contextLength) {
        return new MlstmLayerConfig(embeddingDim,
                layer.getInt("conv1d_kernel_size", 4),
                layer.getInt("qkv_proj_blocksize", 4),
                layer.getInt("num_heads", 4),
                layer.getDouble("proj_factor", 2.0),
                layer.getBoolean("round_proj_up_dim_up", true),
                layer.getInt("round_proj_up_to_multiple_of", 64),
                bias, dropout, contextLength);
    }

    public int getEmbeddingDim() {
        return embeddingDim;
    }

    /** 0 means the layer has no causal convolution. */
    public int getConv1dKernelSize() {
        return conv1dKernelSize;
    }

    /** Size of each diagonal block of the q/k/v projections (not a head count). */
    public int getQkvProjBlocksize() {
        return qkvProjBlocksize;
    }

    public int getNumHeads() {
        return numHeads;
    }

    public double getProjFactor() {
        return projFactor;
    }

    public boolean isRoundProjUpDimUp() {
        return roundProjUpDimUp;
    }

    public int getRoundProjUpToMultipleOf() {
        return roundProjUpToMultipleOf;
    }

    public boolean isBias() {
        return bias;
    }

    public double getDropout() {
        return dropout;
    }

    public int getContextLength() {
        return contextLength;
    }

    /** The up-projected width: proj_factor * embedding_dim rounded to the configured multiple. */
    public int getInnerSize() {
        return innerSize;
    }

    public int getHeadSize() {
        return innerSize / numHeads;
    }

    /** Number of diagonal blocks in each q/k/v projection. */
    public int getNumProjBlocks() {
        return innerSize / qkvProjBlocksize;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof MlstmLayerConfig)) {
            return false;
        }
        MlstmLayerConfig c = (MlstmLayerConfig) o;
        return embeddingDim == c.embeddingDim && conv1dKernelSize == c.conv1dKernelSize
                && qkvProjBlocksize == c.qkvProjBlocksize && numHeads == c.numHeads
                && Double.compare(projFactor, c.projFactor) == 0 && roundProjUpDimUp == c.roundProjUpDimUp
                && roundProjUpToMultipleOf == c.roundProjUpToMultipleOf && bias == c.bias
                && Double.compare(dropout, c.dropout) == 0 && contextLength == c.contextLength;
    }

    @Override
    public int hashCode() {
        return Objects.hash(embeddingDim, conv1dKernelSize, qkvProjBlocksize, numHeads, projFactor,
                roundProjUpDimUp, roundProjUpToMultipleOf, bias, dropout, contextLength);
    }

    @Override
    public String toString() {
        return "MlstmLayerConfig{embedding_dim=" + embeddingDim + ", conv1d_kernel_size=" + conv1dKernelSize
                + ", qkv_proj_blocksize=" + qkvProjBlocksize + ", num_heads=" + numHeads + ", proj_factor="
                + projFactor + ", round_proj_up_dim_up=" + roundProjUpDimUp + ", round_proj_up_to_multiple_of="
                + roundProjUpToMultipleOf + ", bias=" + bias + ", dropout=" + dropout + ", context_length="
                + contextLength + ", inner=" + innerSize + "}";
    }
}
