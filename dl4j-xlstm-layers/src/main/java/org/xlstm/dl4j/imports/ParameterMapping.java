package org.xlstm.dl4j.imports;

import java.util.function.UnaryOperator;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How one tensor of an official xLSTM checkpoint corresponds to one parameter of a DL4J layer: the
 * official name and exact official shape, our parameter name, and the layout conversions in both
 * directions (weights in, gradients out).
 *
 * <p>The official shape is what the configuration implies; an import refuses a tensor of any other shape,
 * even one with the same element count (a transposed {@code proj_down} would otherwise load as garbage).
 */
public final class ParameterMapping {
    private final String officialName;
    private final long[] officialShape;
    private final String ourName;
    private final UnaryOperator<INDArray> toOurs;
    private final UnaryOperator<INDArray> toOfficial;

    public ParameterMapping(String officialName, long[] officialShape, String ourName, UnaryOperator<INDArray> toOurs,
                            UnaryOperator<INDArray> toOfficial) {
        this.officialName = officialName;
        this.officialShape = officialShape.clone();
        this.ourName = ourName;
        this.toOurs = toOurs;
        this.toOfficial = toOfficial;
    }

    /** Same element order, only the shape differs (vectors stored as [1, n], equal-layout tensors). */
    public static ParameterMapping reshaped(String officialName, String ourName, long[] officialShape) {
        return new ParameterMapping(officialName, officialShape, ourName, a -> a, a -> a.reshape(officialShape));
    }

    /** PyTorch Linear weight [out, in] against our [in, out]. */
    public static ParameterMapping transposed(String officialName, String ourName, long out, long in) {
        return new ParameterMapping(officialName, new long[] {out, in}, ourName, a -> a.transpose().dup('c'),
                a -> a.transpose().dup('c'));
    }

    /** The same conversion for a tensor stored under another official name, or into a parameter named otherwise. */
    public ParameterMapping renamed(String newOfficialName, String newOurName) {
        return new ParameterMapping(newOfficialName, officialShape, newOurName, toOurs, toOfficial);
    }

    public String officialName() {
        return officialName;
    }

    /** The exact shape the checkpoint must store this tensor in. */
    public long[] officialShape() {
        return officialShape.clone();
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
