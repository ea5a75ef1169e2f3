package org.xlstm.dl4j.ops;

import static org.xlstm.dl4j.ops.OpSupport.requireNonNull;
import static org.xlstm.dl4j.ops.OpSupport.requireShape;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.xlstm.dl4j.kernel.KernelRegistry;

/** Element-wise activations used by xLSTM. Every method returns a new array and leaves its inputs alone. */
public final class Activations {

    private static final String OP = "Activations";
    private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    private Activations() {
    }

    public static INDArray sigmoid(INDArray x) {
        requireNonNull(OP, "x", x);
        return Transforms.sigmoid(x, true);
    }

    /** {@code x * sigmoid(x)}. */
    public static INDArray silu(INDArray x) {
        requireNonNull(OP, "x", x);
        INDArray fused = KernelRegistry.fusedOps().silu(x);
        if (fused != null) {
            return fused;
        }
        return sigmoid(x).muli(x);
    }

    /** {@code dy * s * (1 + x (1 - s))} with s = sigmoid(x). */
    public static INDArray siluBackward(INDArray x, INDArray dy) {
        checkBackward(x, dy);
        INDArray fused = KernelRegistry.fusedOps().siluBackward(x, dy);
        if (fused != null) {
            return fused;
        }
        INDArray s = sigmoid(x);
        return s.rsub(1.0).muli(x).addi(1.0).muli(s).muli(dy);
    }

    /** Exact GELU {@code 0.5 x (1 + erf(x / sqrt 2))}, not the tanh approximation (xLSTM uses the exact one). */
    public static INDArray gelu(INDArray x) {
        requireNonNull(OP, "x", x);
        return normalCdf(x).muli(x);
    }

    /** {@code dy * (Phi(x) + x phi(x))}. */
    public static INDArray geluBackward(INDArray x, INDArray dy) {
        checkBackward(x, dy);
        INDArray pdf = Transforms.exp(x.mul(x).muli(-0.5), false).muli(INV_SQRT_2PI);
        return pdf.muli(x).addi(normalCdf(x)).muli(dy);
    }

    /**
     * {@code log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))}: never evaluates exp of a positive number, so
     * neither overflows nor takes log(0) for large |x|, unlike log(sigmoid(x)).
     */
    public static INDArray logSigmoid(INDArray x) {
        requireNonNull(OP, "x", x);
        INDArray tail = Transforms.log1p(Transforms.exp(Transforms.abs(x, true).negi(), false), false);
        INDArray negativePart = Transforms.relu(x.neg(), false);
        return tail.addi(negativePart).negi();
    }

    private static INDArray normalCdf(INDArray x) {
        INDArray e = x.mul(INV_SQRT2);
        Nd4j.exec(new Erf(e, e));
        return e.addi(1.0).muli(0.5);
    }

    private static void checkBackward(INDArray x, INDArray dy) {
        requireNonNull(OP, "x", x);
        requireShape(OP, "dy", dy, x.shape());
    }
}
