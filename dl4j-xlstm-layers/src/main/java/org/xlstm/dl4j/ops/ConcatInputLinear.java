package org.xlstm.dl4j.ops;

import static org.xlstm.dl4j.ops.OpSupport.assignGradient;
import static org.xlstm.dl4j.ops.OpSupport.requireRank;
import static org.xlstm.dl4j.ops.OpSupport.requireSameType;
import static org.xlstm.dl4j.ops.OpSupport.requireShape;
import static org.xlstm.dl4j.ops.OpSupport.requireSize;
import static org.xlstm.dl4j.ops.OpSupport.requireVector;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.xlstm.dl4j.kernel.KernelRegistry;

/**
 * Several {@link Linear} maps of one input that is the column concatenation of separate arrays,
 * {@code y_j = [x_1 ... x_m] w_j + b_j}: the mLSTM gates, each a projection of [q, k, v] to one value per
 * head. The maps are skinny (a few outputs over thousands of inputs), so each is a full pass over the
 * input for little arithmetic.
 *
 * <p>A backend may avoid forming the concatenation ({@link FusedOps#concatInputLinear}: the CPU backend
 * stacks the weights and accumulates one product per input). Otherwise it concatenates and runs
 * {@link Linear} per map.
 */
public final class ConcatInputLinear {

    private static final String OP = "ConcatInputLinear";

    private ConcatInputLinear() {
    }

    /** Returns y_j [N, w_j.size(1)] for every weight w_j [sum of x_i.size(1), out_j] and bias b_j (or null). */
    public static INDArray[] forward(INDArray[] inputs, INDArray[] weights, INDArray[] biases) {
        check(inputs, weights);
        if (biases.length != weights.length) {
            throw new IllegalArgumentException(OP + ": " + weights.length + " weights but " + biases.length + " biases");
        }
        for (int j = 0; j < weights.length; j++) {
            if (biases[j] != null) {
                requireVector(OP, "biases[" + j + "]", biases[j], weights[j].size(1));
                requireSameType(OP, "biases[" + j + "]", biases[j], inputs[0]);
            }
        }
        INDArray[] outputs = KernelRegistry.fusedOps().concatInputLinear(inputs, weights);
        if (outputs == null) {
            INDArray x = Nd4j.concat(1, inputs);
            outputs = new INDArray[weights.length];
            for (int j = 0; j < weights.length; j++) {
                outputs[j] = Linear.forward(x, weights[j], null);
            }
        }
        for (int j = 0; j < weights.length; j++) {
            if (biases[j] != null) {
                outputs[j].addiRowVector(biases[j]);
            }
        }
        return outputs;
    }

    /**
     * Writes dW_j and dB_j (assign semantics; dB_j may be null) and adds each input's gradient into
     * {@code dInputs[i]} [N, x_i.size(1)], which the caller holds from the other uses of x_i.
     */
    public static void backward(INDArray[] inputs, INDArray[] weights, INDArray[] dOutputs, INDArray[] dWeights,
                                INDArray[] dBiases, INDArray[] dInputs) {
        check(inputs, weights);
        for (int j = 0; j < weights.length; j++) {
            requireShape(OP, "dOutputs[" + j + "]", dOutputs[j], inputs[0].size(0), weights[j].size(1));
            requireSameType(OP, "dOutputs[" + j + "]", dOutputs[j], inputs[0]);
        }
        for (int i = 0; i < inputs.length; i++) {
            requireShape(OP, "dInputs[" + i + "]", dInputs[i], inputs[i].shape());
        }
        for (int j = 0; j < weights.length; j++) {
            if (dBiases[j] != null) {
                assignGradient(dBiases[j], dOutputs[j].sum(0));
            }
        }
        if (KernelRegistry.fusedOps().concatInputLinearBackward(inputs, weights, dOutputs, dWeights, dInputs)) {
            return;
        }
        INDArray x = Nd4j.concat(1, inputs);
        INDArray dx = Linear.backward(x, weights[0], dOutputs[0], dWeights[0], null);
        for (int j = 1; j < weights.length; j++) {
            dx.addi(Linear.backward(x, weights[j], dOutputs[j], dWeights[j], null));
        }
        long firstColumn = 0;
        for (INDArray dInput : dInputs) {
            long width = dInput.size(1);
            dInput.addi(dx.get(NDArrayIndex.all(), NDArrayIndex.interval(firstColumn, firstColumn + width)));
            firstColumn += width;
        }
    }

    private static void check(INDArray[] inputs, INDArray[] weights) {
        if (inputs.length == 0 || weights.length == 0) {
            throw new IllegalArgumentException(OP + ": needs at least one input and one weight");
        }
        long width = 0;
        for (int i = 0; i < inputs.length; i++) {
            requireRank(OP, "inputs[" + i + "]", inputs[i], 2);
            requireSize(OP, "inputs[" + i + "].size(0) (must equal inputs[0].size(0))", inputs[i].size(0),
                    inputs[0].size(0));
            requireSameType(OP, "inputs[" + i + "]", inputs[i], inputs[0]);
            width += inputs[i].size(1);
        }
        for (int j = 0; j < weights.length; j++) {
            requireRank(OP, "weights[" + j + "]", weights[j], 2);
            requireSize(OP, "weights[" + j + "].size(0) (must equal the inputs' total width)", weights[j].size(0),
                    width);
            requireSameType(OP, "weights[" + j + "]", weights[j], inputs[0]);
        }
    }
}
