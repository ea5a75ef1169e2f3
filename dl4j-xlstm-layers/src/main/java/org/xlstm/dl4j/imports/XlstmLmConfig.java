package org.xlstm.dl4j.imports;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The official {@code xLSTMLMModelConfig}: the block-stack keys plus vocab_size (required; the
 * official default -1 is not a usable model), tie_weights (false), weight_decay_on_embedding (false)
 * and add_embedding_dropout (false), all in the same flat dict.
 */
public final class XlstmLmConfig {

    private final XlstmStackConfig stack;
    private final int vocabSize;
    private final boolean tieWeights;
    private final boolean weightDecayOnEmbedding;
    private final boolean addEmbeddingDropout;

    public XlstmLmConfig(XlstmStackConfig stack, int vocabSize, boolean tieWeights, boolean weightDecayOnEmbedding,
                         boolean addEmbeddingDropout) {
        this.stack = Objects.requireNonNull(stack, "stack");
        Checks.atLeast("vocab_size", vocabSize, 1);
        Checks.atMost("vocab_size", vocabSize, ConfigLimits.MAX_VOCAB_SIZE);
        this.vocabSize = vocabSize;
        this.tieWeights = tieWeights;
        this.weightDecayOnEmbedding = weightDecayOnEmbedding;
        this.addEmbeddingDropout = addEmbeddingDropout;
        Checks.atMost("(total parameters of the model)", OfficialParameterCount.of(this), ConfigLimits.MAX_PARAMETERS);
    }

    public static XlstmLmConfig fromJson(String json) {
        return parse(new ConfigMap(ConfigDocuments.json(json), ""));
    }

    public static XlstmLmConfig fromJson(Path path) {
        return fromJson(ConfigDocuments.read(path));
    }

    public static XlstmLmConfig fromYaml(String yaml) {
        return parse(new ConfigMap(ConfigDocuments.yaml(yaml), ""));
    }

    public static XlstmLmConfig fromYaml(Path path) {
        return fromYaml(ConfigDocuments.read(path));
    }

    private static XlstmLmConfig parse(ConfigMap root) {
        return new XlstmLmConfig(XlstmStackConfig.parse(root), root.getInt("vocab_size", -1),
                root.getBoolean("tie_weights", false), root.getBoolean("weight_decay_on_embedding", false),
                root.getBoolean("add_embedding_dropout", false));
    }

    public XlstmStackConfig getStack() {
        return stack;
    }

    public int getVocabSize() {
        return vocabSize;
    }

    /** Whether the output head shares the token-embedding matrix. */
    public boolean isTieWeights() {
        return tieWeights;
    }

    public boolean isWeightDecayOnEmbedding() {
        return weightDecayOnEmbedding;
    }

    public boolean isAddEmbeddingDropout() {
        return addEmbeddingDropout;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof XlstmLmConfig)) {
            return false;
        }
        XlstmLmConfig c = (XlstmLmConfig) o;
        return stack.equals(c.stack) && vocabSize == c.vocabSize && tieWeights == c.tieWeights
                && weightDecayOnEmbedding == c.weightDecayOnEmbedding && addEmbeddingDropout == c.addEmbeddingDropout;
    }

    @Override
    public int hashCode() {
        return Objects.hash(stack, vocabSize, tieWeights, weightDecayOnEmbedding, addEmbeddingDropout);
    }

    @Override
    public String toString() {
        return "XlstmLmConfig{vocab_size=" + vocabSize + ", tie_weights=" + tieWeights
                + ", weight_decay_on_embedding=" + weightDecayOnEmbedding + ", add_embedding_dropout="
                + addEmbeddingDropout + ", stack=" + stack + "}";
    }
}
