package org.xlstm.dl4j.imports;

import java.util.function.UnaryOperator;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How one tensor of an official xLSTM checkpoint corresponds to one parameter of a DL4J layer: the
 * official name, our parameter name, and the layout conversions in both directions (weights in,
 * gradients out).
 */
public final class ParameterMapping {
    private final String officialName;
    private final String ourName;
    private final UnaryOperator<INDArray> toOurs;
    private final UnaryOperator<INDArray> toOfficial;

    public ParameterMapping(String officialName, String ourName, UnaryOperator<INDArray> toOurs,
                            UnaryOperator<INDArray> toOfficial) {
        this.officialName = officialName;
        this.ourName = ourName;
        this.toOurs = toOurs;
        this.toOfficial = toOfficial;
    }

    /** Same element order, only the shape differs (vectors stored as [1, n], equal-layout tensors). */
    public static ParameterMapping reshaped(String officialName, String ourName, long[] officialShape) {
        return new ParameterMapping(officialName, ourName, a -> a, a -> a.reshape(officialShape));
    }

    /** PyTorch Linear weight [out, in] against our [in, out]. */
    public static ParameterMapping transposed(String officialName, String ourName) {
        return new ParameterMapping(officialName, ourName, a -> a.transpose().dup('c'), a -> a.transpose().dup('c'));
    }

    public String officialName() {
        return officialName;
    }

    public String ourName() {
        return ourName;
    }

    /** The official tensor converted to our parameter's layout (still to be reshaped to the parameter's shape). */
    public INDArray toOurs(INDArray official) {
        return toOurs.apply(official);
    }

    /** Our parameter (or its gradient) converted to the official layout. */
    public INDArray toOfficial(INDArray ours) {
        return toOfficial.apply(ours);
    }
}
