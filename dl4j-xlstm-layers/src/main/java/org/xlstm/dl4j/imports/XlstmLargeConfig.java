package org.xlstm.dl4j.imports;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The official {@code xLSTMLargeConfig} of {@code xlstm.xlstm_large} (the architecture of the xLSTM 7B
 * release), as read from a checkpoint's {@code config.yaml}. Absent keys take the official defaults. Keys
 * that only choose the official PyTorch backend (kernel names, mode, autocast and state dtypes,
 * return_last_states) have no meaning here and are ignored.
 */
public final class XlstmLargeConfig {
    /** The official kernels' normalizer epsilon, which {@code MatrixMemoryKernel} fixes. */
    public static final double KERNEL_EPS = 1e-6;

    private final int embeddingDim;
    private final int numHeads;
    private final int numBlocks;
    private final int vocabSize;
    private final boolean useBias;
    private final double normEps;
    private final boolean addOutNorm;
    private final double qkDimFactor;
    private final double vDimFactor;
    private final int chunkSize;
    private final double ffnProjFactor;
    private final int ffnRoundUpToMultipleOf;
    private final double gateSoftCap;
    private final double outputLogitSoftCap;

    private XlstmLargeConfig(Builder b) {
        Checks.atLeast("embedding_dim", b.embeddingDim, 1);
        Checks.atLeast("num_heads", b.numHeads, 1);
        Checks.atLeast("num_blocks", b.numBlocks, 1);
        Checks.atLeast("vocab_size", b.vocabSize, 1);
        Checks.positive("norm_eps", b.normEps);
        Checks.positive("qk_dim_factor", b.qkDimFactor);
        Checks.positive("v_dim_factor", b.vDimFactor);
        Checks.atLeast("chunk_size", b.chunkSize, 1);
        Checks.positive("ffn_proj_factor", b.ffnProjFactor);
        Checks.atLeast("ffn_round_up_to_multiple_of", b.ffnRoundUpToMultipleOf, 1);
        Checks.positive("gate_soft_cap", b.gateSoftCap);
        Checks.positive("output_logit_soft_cap", b.outputLogitSoftCap);
        this.embeddingDim = b.embeddingDim;
        this.numHeads = b.numHeads;
        this.numBlocks = b.numBlocks;
        this.vocabSize = b.vocabSize;
        this.useBias = b.useBias;
        this.normEps = b.normEps;
        this.addOutNorm = b.addOutNorm;
        this.qkDimFactor = b.qkDimFactor;
        this.vDimFactor = b.vDimFactor;
        this.chunkSize = b.chunkSize;
        this.ffnProjFactor = b.ffnProjFactor;
        this.ffnRoundUpToMultipleOf = b.ffnRoundUpToMultipleOf;
        this.gateSoftCap = b.gateSoftCap;
        this.outputLogitSoftCap = b.outputLogitSoftCap;
        Checks.divides("num_heads", numHeads, "qk_dim (embedding_dim * qk_dim_factor)", qkDim());
        Checks.divides("num_heads", numHeads, "v_dim (embedding_dim * v_dim_factor)", vDim());
        Checks.atLeast("qk_dim (embedding_dim * qk_dim_factor)", qkDim(), numHeads);
    }

    public static XlstmLargeConfig fromYaml(String yaml) {
        return parse(new ConfigMap(ConfigDocuments.yaml(yaml), ""));
    }

    public static XlstmLargeConfig fromYaml(Path path) {
        return fromYaml(ConfigDocuments.read(path));
    }

    private static XlstmLargeConfig parse(ConfigMap root) {
        for (String required : new String[] {"embedding_dim", "num_heads", "num_blocks", "vocab_size"}) {
            if (!root.has(required)) {
                throw new IllegalArgumentException("config key '" + required + "' is required (xLSTMLargeConfig has"
                        + " no default for it)");
            }
        }
        String weightMode = root.getString("weight_mode", "single");
        if (!weightMode.equals("single")) {
            throw new IllegalArgumentException("config key 'weight_mode': only \"single\" (separate q, k, v, gate"
                    + " weights, as the released checkpoints store them) is supported, got \"" + weightMode + "\"");
        }
        double eps = root.getDouble("eps", KERNEL_EPS);
        if (eps != KERNEL_EPS) {
            throw new IllegalArgumentException("config key 'eps': the matrix-memory kernels use the official " + KERNEL_EPS
                    + ", got " + eps);
        }
        Builder b = new Builder(root.getInt("embedding_dim", 0), root.getInt("num_heads", 0),
                root.getInt("num_blocks", 0), root.getInt("vocab_size", 0));
        Builder defaults = new Builder(1, 1, 1, 1);
        return b.useBias(root.getBoolean("use_bias", defaults.useBias))
                .normEps(root.getDouble("norm_eps", defaults.normEps))
                .addOutNorm(root.getBoolean("add_out_norm", defaults.addOutNorm))
                .qkDimFactor(root.getDouble("qk_dim_factor", defaults.qkDimFactor))
                .vDimFactor(root.getDouble("v_dim_factor", defaults.vDimFactor))
                .chunkSize(root.getInt("chunk_size", defaults.chunkSize))
                .ffnProjFactor(root.getDouble("ffn_proj_factor", defaults.ffnProjFactor))
                .ffnRoundUpToMultipleOf(root.getInt("ffn_round_up_to_multiple_of", defaults.ffnRoundUpToMultipleOf))
                .gateSoftCap(root.getDouble("gate_soft_cap", defaults.gateSoftCap))
                .outputLogitSoftCap(root.getDouble("output_logit_soft_cap", defaults.outputLogitSoftCap))
                .build();
    }

    /** A configuration with the official defaults for everything but the four required sizes. */
    public static Builder builder(int embeddingDim, int numHeads, int numBlocks, int vocabSize) {
        return new Builder(embeddingDim, numHeads, numBlocks, vocabSize);
    }

    /** {@code int(embedding_dim * qk_dim_factor)}, as the official layer truncates it. */
    public int qkDim() {
        return (int) (embeddingDim * qkDimFactor);
    }

    public int vDim() {
        return (int) (embeddingDim * vDimFactor);
    }

    public int qkHeadDim() {
        return qkDim() / numHeads;
    }

    public int vHeadDim() {
        return vDim() / numHeads;
    }

    /** The feed-forward's inner size: embedding_dim * ffn_proj_factor rounded up as the official code does. */
    public int ffnUpDim() {
        double raw = embeddingDim * ffnProjFactor;
        int m = ffnRoundUpToMultipleOf;
        return (int) (Math.floor((raw + m - 1) / m) * m);
    }

    public int getEmbeddingDim() {
        return embeddingDim;
    }

    public int getNumHeads() {
        return numHeads;
    }

    public int getNumBlocks() {
        return numBlocks;
    }

    public int getVocabSize() {
        return vocabSize;
    }

    public boolean isUseBias() {
        return useBias;
    }

    public double getNormEps() {
        return normEps;
    }

    public boolean isAddOutNorm() {
        return addOutNorm;
    }

    public double getQkDimFactor() {
        return qkDimFactor;
    }

    public double getVDimFactor() {
        return vDimFactor;
    }

    public int getChunkSize() {
        return chunkSize;
    }

    public double getFfnProjFactor() {
        return ffnProjFactor;
    }

    public int getFfnRoundUpToMultipleOf() {
        return ffnRoundUpToMultipleOf;
    }

    public double getGateSoftCap() {
        return gateSoftCap;
    }

    public double getOutputLogitSoftCap() {
        return outputLogitSoftCap;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof XlstmLargeConfig)) {
            return false;
        }
        return toString().equals(o.toString());
    }

    @Override
    public int hashCode() {
        return Objects.hash(toString());
    }

    @Override
    public String toString() {
        return "XlstmLargeConfig{embedding_dim=" + embeddingDim + ", num_heads=" + numHeads + ", num_blocks="
                + numBlocks + ", vocab_size=" + vocabSize + ", use_bias=" + useBias + ", norm_eps=" + normEps
                + ", add_out_norm=" + addOutNorm + ", qk_dim_factor=" + qkDimFactor + ", v_dim_factor=" + vDimFactor
                + ", chunk_size=" + chunkSize + ", ffn_proj_factor=" + ffnProjFactor
                + ", ffn_round_up_to_multiple_of=" + ffnRoundUpToMultipleOf + ", gate_soft_cap=" + gateSoftCap
                + ", output_logit_soft_cap=" + outputLogitSoftCap + "}";
    }

    /** Sizes are required; every other setting starts at the official default. */
    public static final class Builder {
        private final int embeddingDim;
        private final int numHeads;
        private final int numBlocks;
        private final int vocabSize;
        private boolean useBias = false;
        private double normEps = 1e-6;
        private boolean addOutNorm = true;
        private double qkDimFactor = 0.5;
        private double vDimFactor = 1.0;
        private int chunkSize = 64;
        private double ffnProjFactor = 2.6667;
        private int ffnRoundUpToMultipleOf = 64;
        private double gateSoftCap = 15.0;
        private double outputLogitSoftCap = 30.0;

        private Builder(int embeddingDim, int numHeads, int numBlocks, int vocabSize) {
            this.embeddingDim = embeddingDim;
            this.numHeads = numHeads;
            this.numBlocks = numBlocks;
            this.vocabSize = vocabSize;
        }

        public Builder useBias(boolean v) {
            useBias = v;
            return this;
        }

        public Builder normEps(double v) {
            normEps = v;
            return this;
        }

        public Builder addOutNorm(boolean v) {
            addOutNorm = v;
            return this;
        }

        public Builder qkDimFactor(double v) {
            qkDimFactor = v;
            return this;
        }

        public Builder vDimFactor(double v) {
            vDimFactor = v;
            return this;
        }

        public Builder chunkSize(int v) {
            chunkSize = v;
            return this;
        }

        public Builder ffnProjFactor(double v) {
            ffnProjFactor = v;
            return this;
        }

        public Builder ffnRoundUpToMultipleOf(int v) {
            ffnRoundUpToMultipleOf = v;
            return this;
        }

        public Builder gateSoftCap(double v) {
            gateSoftCap = v;
            return this;
        }

        public Builder outputLogitSoftCap(double v) {
            outputLogitSoftCap = v;
            return this;
        }

        public XlstmLargeConfig build() {
            return new XlstmLargeConfig(this);
        }
    }
}
