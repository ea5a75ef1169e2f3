package org.xlstm.dl4j.imports;

/** The official UpProjConfigMixin rule for inner (up-projected) sizes. */
final class UpProjection {

    private UpProjection() {
    }

    /**
     * {@code projFactor * embeddingDim} rounded up (or down) to a multiple of {@code multiple}. Done in
     * double arithmetic like the Python original so that e.g. 1.3 * 768 = 998.4 rounds the same way.
     */
    static int innerSize(String key, double projFactor, int embeddingDim, boolean roundUp, int multiple) {
        double multiples = projFactor * embeddingDim / multiple;
        double inner = (roundUp ? Math.ceil(multiples) : Math.floor(multiples)) * multiple;
        // Compared as a double: the cast of a larger value to int would wrap or saturate.
        if (inner > ConfigLimits.MAX_INNER_SIZE) {
            throw new ConfigException("config key '" + key + "': " + projFactor + " * " + embeddingDim
                    + " gives an inner size of " + (long) inner + ", expected <= " + ConfigLimits.MAX_INNER_SIZE
                    + " (see ConfigLimits)");
        }
        return (int) inner;
    }
}
