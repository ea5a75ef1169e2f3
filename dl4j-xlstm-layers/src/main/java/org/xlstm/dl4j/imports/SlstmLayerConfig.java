package org.xlstm.dl4j.imports;

import java.util.Objects;
import java.util.Set;

/**
 * The official {@code sLSTMLayerConfig} (inside {@code sLSTMBlockConfig.slstm}, extending
 * {@code sLSTMCellConfig}), with the stack's embedding_dim and dropout applied. Defaults from the
 * official dataclasses: num_heads 4, conv1d_kernel_size 4, backend "cuda", bias_init
 * "powerlaw_blockdependent", recurrent_weight_init "zeros", group_norm_weight true. Cell keys that
 * only steer CUDA kernels (dtypes, batch_size, shapes, clip values) do not change the model and are
 * ignored like unknown keys.
 */
public final class SlstmLayerConfig {

    static final String PREFIX = "slstm_block.slstm.";

    public static final Set<String> BACKENDS = Set.of("vanilla", "cuda");
    public static final Set<String> BIAS_INITS = Set.of("powerlaw_blockdependent", "small_init", "standard", "zeros");
    public static final Set<String> RECURRENT_WEIGHT_INITS = Set.of("zeros", "standard");

    private final int embeddingDim;
    private final int numHeads;
    private final int conv1dKernelSize;
    private final String backend;
    private final String biasInit;
    private final String recurrentWeightInit;
    private final boolean groupNormWeight;
    private final double dropout;

    public SlstmLayerConfig(int embeddingDim, int numHeads, int conv1dKernelSize, String backend, String biasInit,
                            String recurrentWeightInit, boolean groupNormWeight, double dropout) {
        Checks.atLeast("embedding_dim", embeddingDim, 1);
        Checks.atMost("embedding_dim", embeddingDim, ConfigLimits.MAX_EMBEDDING_DIM);
        // The official cell silently turns num_heads <= 0 into 1; refusing is kinder than guessing.
        Checks.atLeast(PREFIX + "num_heads", numHeads, 1);
        Checks.divides(PREFIX + "num_heads", numHeads, "embedding_dim", embeddingDim);
        Checks.atLeast(PREFIX + "conv1d_kernel_size", conv1dKernelSize, 0);
        Checks.atMost(PREFIX + "conv1d_kernel_size", conv1dKernelSize, ConfigLimits.MAX_CONV1D_KERNEL_SIZE);
        Checks.oneOf(PREFIX + "backend", backend, BACKENDS);
        Checks.oneOf(PREFIX + "bias_init", biasInit, BIAS_INITS);
        Checks.oneOf(PREFIX + "recurrent_weight_init", recurrentWeightInit, RECURRENT_WEIGHT_INITS);
        Checks.probability("dropout", dropout);
        this.embeddingDim = embeddingDim;
        this.numHeads = numHeads;
        this.conv1dKernelSize = conv1dKernelSize;
        this.backend = backend;
        this.biasInit = biasInit;
        this.recurrentWeightInit = recurrentWeightInit;
        this.groupNormWeight = groupNormWeight;
        this.dropout = dropout;
    }

    static SlstmLayerConfig parse(ConfigMap layer, int embeddingDim, double dropout) {
        return new SlstmLayerConfig(embeddingDim,
                layer.getInt("num_heads", 4),
                layer.getInt("conv1d_kernel_size", 4),
                layer.getString("backend", "cuda"),
                layer.getString("bias_init", "powerlaw_blockdependent"),
                layer.getString("recurrent_weight_init", "zeros"),
                layer.getBoolean("group_norm_weight", true),
                dropout);
    }

    public int getEmbeddingDim() {
        return embeddingDim;
    }

    public int getNumHeads() {
        return numHeads;
    }

    public int getHeadSize() {
        return embeddingDim / numHeads;
    }

    /** 0 means the layer has no causal convolution. */
    public int getConv1dKernelSize() {
        return conv1dKernelSize;
    }

    /** The backend the checkpoint was configured for; it decides the stored recurrent-kernel layout. */
    public String getBackend() {
        return backend;
    }

    public String getBiasInit() {
        return biasInit;
    }

    public String getRecurrentWeightInit() {
        return recurrentWeightInit;
    }

    /** Whether the per-head group norm has a learnable weight. */
    public boolean isGroupNormWeight() {
        return groupNormWeight;
    }

    public double getDropout() {
        return dropout;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SlstmLayerConfig)) {
            return false;
        }
        SlstmLayerConfig c = (SlstmLayerConfig) o;
        return embeddingDim == c.embeddingDim && numHeads == c.numHeads && conv1dKernelSize == c.conv1dKernelSize
                && backend.equals(c.backend) && biasInit.equals(c.biasInit)
                && recurrentWeightInit.equals(c.recurrentWeightInit) && groupNormWeight == c.groupNormWeight
                && Double.compare(dropout, c.dropout) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(embeddingDim, numHeads, conv1dKernelSize, backend, biasInit, recurrentWeightInit,
                groupNormWeight, dropout);
    }

    @Override
    public String toString() {
        return "SlstmLayerConfig{embedding_dim=" + embeddingDim + ", num_heads=" + numHeads
                + ", conv1d_kernel_size=" + conv1dKernelSize + ", backend=" + backend + ", bias_init=" + biasInit
                + ", recurrent_weight_init=" + recurrentWeightInit + ", group_norm_weight=" + groupNormWeight
                + ", dropout=" + dropout + "}";
    }
}
