package org.xlstm.dl4j.imports;

/**
 * Upper bounds on the sizes an official config may ask for. They sit well above the published xLSTM models
 * (7B: embedding 4096, 32 blocks, vocabulary 50,304) and well below what would overflow a size computation or
 * make a typo allocate gigabytes before anything else is checked: a config beyond them is refused while it is
 * parsed, before any network or array exists.
 */
public final class ConfigLimits {

    public static final int MAX_EMBEDDING_DIM = 1 << 16;
    /** Inner (up-projected) sizes of the mLSTM layer and the feed-forward. */
    public static final int MAX_INNER_SIZE = 1 << 20;
    public static final int MAX_NUM_BLOCKS = 1 << 10;
    public static final int MAX_CONV1D_KERNEL_SIZE = 1 << 10;
    public static final int MAX_VOCAB_SIZE = 1 << 24;
    public static final int MAX_CONTEXT_LENGTH = 1 << 24;
    /** All parameters of a stack or language model together (2^33, about 8.6 billion). */
    public static final long MAX_PARAMETERS = 1L << 33;

    private ConfigLimits() {
    }
}
