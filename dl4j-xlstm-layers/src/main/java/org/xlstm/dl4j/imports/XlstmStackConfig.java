package org.xlstm.dl4j.imports;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The official {@code xLSTMBlockStackConfig}. Defaults of the official dataclass: no mLSTM and no
 * sLSTM block config, context_length -1, num_blocks 1, embedding_dim 128, add_post_blocks_norm true,
 * bias false, dropout 0, slstm_at []. As in the official {@code __post_init__}: without an mLSTM
 * block config every block is an sLSTM block; "all" means every position; the stack's embedding_dim,
 * bias, dropout and context_length are pushed into the mLSTM layer, embedding_dim and dropout into
 * the sLSTM layer, embedding_dim into the feed-forward. A present {@code slstm_block} without a
 * {@code feedforward} key gets the default feed-forward; {@code feedforward: null} means none.
 */
public final class XlstmStackConfig {

    private final MlstmLayerConfig mlstm;
    private final SlstmLayerConfig slstm;
    private final FeedForwardConfig slstmFeedForward;
    private final int contextLength;
    private final int numBlocks;
    private final int embeddingDim;
    private final boolean addPostBlocksNorm;
    private final boolean bias;
    private final double dropout;
    private final List<Integer> slstmAt;
    private final List<BlockType> blockTypes;

    /**
     * @param mlstm            the mLSTM layer of every mLSTM block, or null for an sLSTM-only stack
     * @param slstm            the sLSTM layer of every sLSTM block, or null for an mLSTM-only stack
     * @param slstmFeedForward the sLSTM blocks' feed-forward, or null for none
     * @param slstmAt          sLSTM positions; ignored (all positions) when {@code mlstm} is null
     */
    public XlstmStackConfig(MlstmLayerConfig mlstm, SlstmLayerConfig slstm, FeedForwardConfig slstmFeedForward,
                            int contextLength, int numBlocks, int embeddingDim, boolean addPostBlocksNorm,
                            boolean bias, double dropout, List<Integer> slstmAt) {
        checkSizes(embeddingDim, numBlocks, contextLength);
        Checks.probability("dropout", dropout);
        if (mlstm == null && slstm == null) {
            throw new ConfigException("config keys 'mlstm_block' / 'slstm_block': expected at least one, got neither");
        }
        if (slstmFeedForward != null && slstm == null) {
            throw new ConfigException("config key 'slstm_block.feedforward': given without an sLSTM block config");
        }
        requireEmbeddingDim("mlstm_block.mlstm", mlstm == null ? embeddingDim : mlstm.getEmbeddingDim(), embeddingDim);
        requireEmbeddingDim("slstm_block.slstm", slstm == null ? embeddingDim : slstm.getEmbeddingDim(), embeddingDim);
        requireEmbeddingDim("slstm_block.feedforward",
                slstmFeedForward == null ? embeddingDim : slstmFeedForward.getEmbeddingDim(), embeddingDim);
        TreeSet<Integer> positions = new TreeSet<>();
        if (mlstm == null) {
            for (int i = 0; i < numBlocks; i++) {
                positions.add(i);
            }
        } else {
            for (int i = 0; i < slstmAt.size(); i++) {
                int p = slstmAt.get(i);
                if (p < 0 || p >= numBlocks) {
                    throw new ConfigException("config key 'slstm_at[" + i + "]': expected a block index in [0, "
                            + numBlocks + "), got " + p);
                }
                positions.add(p);
            }
            if (!positions.isEmpty() && slstm == null) {
                throw new ConfigException("config key 'slstm_at': expected no positions without an "
                        + "'slstm_block' config, got " + positions);
            }
        }
        List<BlockType> types = new ArrayList<>();
        for (int i = 0; i < numBlocks; i++) {
            types.add(positions.contains(i) ? BlockType.SLSTM : BlockType.MLSTM);
        }
        this.mlstm = mlstm;
        this.slstm = slstm;
        this.slstmFeedForward = slstmFeedForward;
        this.contextLength = contextLength;
        this.numBlocks = numBlocks;
        this.embeddingDim = embeddingDim;
        this.addPostBlocksNorm = addPostBlocksNorm;
        this.bias = bias;
        this.dropout = dropout;
        this.slstmAt = Collections.unmodifiableList(new ArrayList<>(positions));
        this.blockTypes = Collections.unmodifiableList(types);
        Checks.atMost("(total parameters of the stack)", OfficialParameterCount.of(this), ConfigLimits.MAX_PARAMETERS);
    }

    private static void checkSizes(int embeddingDim, int numBlocks, int contextLength) {
        Checks.atLeast("embedding_dim", embeddingDim, 1);
        Checks.atMost("embedding_dim", embeddingDim, ConfigLimits.MAX_EMBEDDING_DIM);
        Checks.atLeast("num_blocks", numBlocks, 1);
        Checks.atMost("num_blocks", numBlocks, ConfigLimits.MAX_NUM_BLOCKS);
        Checks.atLeast("context_length", contextLength, -1);
        Checks.atMost("context_length", contextLength, ConfigLimits.MAX_CONTEXT_LENGTH);
    }

    private static void requireEmbeddingDim(String key, int actual, int expected) {
        if (actual != expected) {
            throw new ConfigException("config key '" + key + ".embedding_dim': expected the stack's "
                    + expected + ", got " + actual);
        }
    }

    public static XlstmStackConfig fromJson(String json) {
        return parse(new ConfigMap(ConfigDocuments.json(json), ""));
    }

    public static XlstmStackConfig fromJson(Path path) {
        return fromJson(ConfigDocuments.read(path));
    }

    public static XlstmStackConfig fromYaml(String yaml) {
        return parse(new ConfigMap(ConfigDocuments.yaml(yaml), ""));
    }

    public static XlstmStackConfig fromYaml(Path path) {
        return fromYaml(ConfigDocuments.read(path));
    }

    static XlstmStackConfig parse(ConfigMap root) {
        int embeddingDim = root.getInt("embedding_dim", 128);
        int contextLength = root.getInt("context_length", -1);
        int numBlocks = root.getInt("num_blocks", 1);
        // Before the nested configs, whose sizes derive from these, and before "all" expands to num_blocks.
        checkSizes(embeddingDim, numBlocks, contextLength);
        boolean bias = root.getBoolean("bias", false);
        double dropout = root.getDouble("dropout", 0.0);
        MlstmLayerConfig mlstm = null;
        ConfigMap mlstmBlock = root.child("mlstm_block");
        if (mlstmBlock != null) {
            mlstm = MlstmLayerConfig.parse(orEmpty(mlstmBlock, "mlstm"), embeddingDim, bias, dropout, contextLength);
        }
        SlstmLayerConfig slstm = null;
        FeedForwardConfig feedForward = null;
        ConfigMap slstmBlock = root.child("slstm_block");
        if (slstmBlock != null) {
            slstm = SlstmLayerConfig.parse(orEmpty(slstmBlock, "slstm"), embeddingDim, dropout);
            if (!slstmBlock.has("feedforward") || slstmBlock.raw("feedforward") != null) {
                feedForward = FeedForwardConfig.parse(orEmpty(slstmBlock, "feedforward"), embeddingDim);
            }
        }
        return new XlstmStackConfig(mlstm, slstm, feedForward, contextLength, numBlocks, embeddingDim,
                root.getBoolean("add_post_blocks_norm", true), bias, dropout, parseSlstmAt(root, numBlocks));
    }

    /** A missing nested config takes the official default_factory, i.e. all defaults. */
    private static ConfigMap orEmpty(ConfigMap parent, String name) {
        ConfigMap child = parent.child(name);
        return child != null ? child : new ConfigMap(Map.of(), parent.key(name) + ".");
    }

    private static List<Integer> parseSlstmAt(ConfigMap root, int numBlocks) {
        Object raw = root.raw("slstm_at");
        List<Integer> out = new ArrayList<>();
        if (raw == null) {
            return out;
        }
        if ("all".equals(raw)) {
            for (int i = 0; i < numBlocks; i++) {
                out.add(i);
            }
            return out;
        }
        if (!(raw instanceof List)) {
            throw root.typeError("slstm_at", "a list of block indices or \"all\"", raw);
        }
        List<?> list = (List<?>) raw;
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == null) {
                throw new ConfigException("config key 'slstm_at[" + i + "]': expected an integer, got null");
            }
            out.add(ConfigMap.toInt("slstm_at[" + i + "]", list.get(i)));
        }
        return out;
    }

    /** The mLSTM layer config, or null when the stack has no mLSTM block config. */
    public MlstmLayerConfig getMlstm() {
        return mlstm;
    }

    /** The sLSTM layer config, or null when the stack has no sLSTM block config. */
    public SlstmLayerConfig getSlstm() {
        return slstm;
    }

    /** The feed-forward of the sLSTM blocks, or null when they have none. */
    public FeedForwardConfig getSlstmFeedForward() {
        return slstmFeedForward;
    }

    public int getContextLength() {
        return contextLength;
    }

    public int getNumBlocks() {
        return numBlocks;
    }

    public int getEmbeddingDim() {
        return embeddingDim;
    }

    public boolean isAddPostBlocksNorm() {
        return addPostBlocksNorm;
    }

    public boolean isBias() {
        return bias;
    }

    public double getDropout() {
        return dropout;
    }

    /** The resolved, sorted, distinct sLSTM positions ("all" expanded). */
    public List<Integer> getSlstmAt() {
        return slstmAt;
    }

    /** The block type at every position, in order. */
    public List<BlockType> getBlockTypes() {
        return blockTypes;
    }

    public BlockType blockType(int position) {
        return blockTypes.get(position);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof XlstmStackConfig)) {
            return false;
        }
        XlstmStackConfig c = (XlstmStackConfig) o;
        return Objects.equals(mlstm, c.mlstm) && Objects.equals(slstm, c.slstm)
                && Objects.equals(slstmFeedForward, c.slstmFeedForward) && contextLength == c.contextLength
                && numBlocks == c.numBlocks && embeddingDim == c.embeddingDim
                && addPostBlocksNorm == c.addPostBlocksNorm && bias == c.bias
                && Double.compare(dropout, c.dropout) == 0 && slstmAt.equals(c.slstmAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(mlstm, slstm, slstmFeedForward, contextLength, numBlocks, embeddingDim,
                addPostBlocksNorm, bias, dropout, slstmAt);
    }

    @Override
    public String toString() {
        return "XlstmStackConfig{embedding_dim=" + embeddingDim + ", num_blocks=" + numBlocks + ", context_length="
                + contextLength + ", slstm_at=" + slstmAt + ", add_post_blocks_norm=" + addPostBlocksNorm
                + ", bias=" + bias + ", dropout=" + dropout + ", mlstm=" + mlstm + ", slstm=" + slstm
                + ", feedforward=" + slstmFeedForward + "}";
    }
}
