package org.xlstm.dl4j.imports;

import java.util.Objects;
import java.util.Set;

/**
 * The official {@code FeedForwardConfig} of an sLSTM block (gated feed-forward). Defaults from the
 * official dataclass: proj_factor 1.3, act_fn "gelu", dropout 0, bias false, ff_type "ffn_gated",
 * round_proj_up_dim_up true, round_proj_up_to_multiple_of 64. Unlike the mLSTM layer, its bias and
 * dropout are not overridden by the stack (the official xLSTMBlockConfig only pushes embedding_dim).
 */
public final class FeedForwardConfig {

    static final String PREFIX = "slstm_block.feedforward.";

    /** The official activation registry ({@code _act_fn_registry}). */
    public static final Set<String> ACTIVATIONS = Set.of("gelu", "relu", "relu^2", "sigmoid", "swish", "selu");

    private final int embeddingDim;
    private final double projFactor;
    private final String actFn;
    private final double dropout;
    private final boolean bias;
    private final String ffType;
    private final boolean roundProjUpDimUp;
    private final int roundProjUpToMultipleOf;
    private final int innerSize;

    public FeedForwardConfig(int embeddingDim, double projFactor, String actFn, double dropout, boolean bias,
                             String ffType, boolean roundProjUpDimUp, int roundProjUpToMultipleOf) {
        Checks.atLeast("embedding_dim", embeddingDim, 1);
        Checks.atMost("embedding_dim", embeddingDim, ConfigLimits.MAX_EMBEDDING_DIM);
        Checks.positive(PREFIX + "proj_factor", projFactor);
        Checks.oneOf(PREFIX + "act_fn", actFn, ACTIVATIONS);
        Checks.probability(PREFIX + "dropout", dropout);
        Checks.oneOf(PREFIX + "ff_type", ffType, Set.of("ffn_gated"));
        Checks.atLeast(PREFIX + "round_proj_up_to_multiple_of", roundProjUpToMultipleOf, 1);
        this.embeddingDim = embeddingDim;
        this.projFactor = projFactor;
        this.actFn = actFn;
        this.dropout = dropout;
        this.bias = bias;
        this.ffType = ffType;
        this.roundProjUpDimUp = roundProjUpDimUp;
        this.roundProjUpToMultipleOf = roundProjUpToMultipleOf;
        this.innerSize = UpProjection.innerSize(PREFIX + "proj_factor", projFactor, embeddingDim, roundProjUpDimUp, roundProjUpToMultipleOf);
        if (innerSize < 1) {
            throw new ConfigException("config key '" + PREFIX + "proj_factor': " + projFactor + " * "
                    + embeddingDim + " rounds down to an inner size of 0");
        }
    }

    static FeedForwardConfig parse(ConfigMap ff, int embeddingDim) {
        return new FeedForwardConfig(embeddingDim,
                ff.getDouble("proj_factor", 1.3),
                ff.getString("act_fn", "gelu"),
                ff.getDouble("dropout", 0.0),
                ff.getBoolean("bias", false),
                ff.getString("ff_type", "ffn_gated"),
                ff.getBoolean("round_proj_up_dim_up", true),
                ff.getInt("round_proj_up_to_multiple_of", 64));
    }

    public int getEmbeddingDim() {
        return embeddingDim;
    }

    public double getProjFactor() {
        return projFactor;
    }

    public String getActFn() {
        return actFn;
    }

    public double getDropout() {
        return dropout;
    }

    public boolean isBias() {
        return bias;
    }

    public String getFfType() {
        return ffType;
    }

    public boolean isRoundProjUpDimUp() {
        return roundProjUpDimUp;
    }

    public int getRoundProjUpToMultipleOf() {
        return roundProjUpToMultipleOf;
    }

    /** Width of the gate and of the up branch (proj_up has twice this many outputs). */
    public int getInnerSize() {
        return innerSize;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof FeedForwardConfig)) {
            return false;
        }
        FeedForwardConfig c = (FeedForwardConfig) o;
        return embeddingDim == c.embeddingDim && Double.compare(projFactor, c.projFactor) == 0
                && actFn.equals(c.actFn) && Double.compare(dropout, c.dropout) == 0 && bias == c.bias
                && ffType.equals(c.ffType) && roundProjUpDimUp == c.roundProjUpDimUp
                && roundProjUpToMultipleOf == c.roundProjUpToMultipleOf;
    }

    @Override
    public int hashCode() {
        return Objects.hash(embeddingDim, projFactor, actFn, dropout, bias, ffType, roundProjUpDimUp,
                roundProjUpToMultipleOf);
    }

    @Override
    public String toString() {
        return "FeedForwardConfig{embedding_dim=" + embeddingDim + ", proj_factor=" + projFactor + ", act_fn="
                + actFn + ", dropout=" + dropout + ", bias=" + bias + ", ff_type=" + ffType
                + ", round_proj_up_dim_up=" + roundProjUpDimUp + ", round_proj_up_to_multiple_of="
                + roundProjUpToMultipleOf + ", inner=" + innerSize + "}";
    }
}
