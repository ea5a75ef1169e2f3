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

/**
 * Several {@link Linear} maps of one input that is the column concatenation of separate arrays,
 * {@code y_j = [x_1 ... x_m] w_j + b_j}: the mLSTM gates, each a projection of [q, k, v] to one value per
 * head. The maps are skinny (a few outputs over thousands of inputs), so each is a full pass over the
 * input for little arithmetic.
 *
 * <p>On the CPU backend the concatenation is never formed: the weights are stacked side by side into one
 * small [sum in, sum out] matrix and every input contributes one product over its row block, accumulated
 * in place, so the inputs are read once for all maps. Elsewhere (other backends, arrays BLAS cannot
 * address) it concatenates and runs {@link Linear} per map.
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
        INDArray[] outputs = new INDArray[weights.length];
        if (!onHost(inputs)) {
            INDArray x = Nd4j.concat(1, inputs);
            for (int j = 0; j < weights.length; j++) {
                outputs[j] = Linear.forward(x, weights[j], biases[j]);
            }
            return outputs;
        }
        INDArray stacked = stackColumns(weights, inputs[0]);
        int rows = (int) inputs[0].size(0);
        INDArray all = Nd4j.createUninitialized(inputs[0].dataType(), rows, stacked.size(1));
        long firstRow = 0;
        for (int i = 0; i < inputs.length; i++) {
            int width = (int) inputs[i].size(1);
            HostGemm.gemm(false, false, rows, (int) stacked.size(1), width, new HostGemm.Window(inputs[i], 0),
                    new HostGemm.Window(rowBlock(stacked, firstRow, width), 0), new HostGemm.Window(all, 0), i > 0);
            firstRow += width;
        }
        long firstColumn = 0;
        for (int j = 0; j < weights.length; j++) {
            long width = weights[j].size(1);
            outputs[j] = all.get(NDArrayIndex.all(), NDArrayIndex.interval(firstColumn, firstColumn + width)).dup('c');
            if (biases[j] != null) {
                outputs[j].addiRowVector(biases[j]);
            }
            firstColumn += width;
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
        if (!onHost(inputs) || !onHost(dInputs)) {
            INDArray x = Nd4j.concat(1, inputs);
            INDArray dx = Linear.backward(x, weights[0], dOutputs[0], dWeights[0], dBiases[0]);
            for (int j = 1; j < weights.length; j++) {
                dx.addi(Linear.backward(x, weights[j], dOutputs[j], dWeights[j], dBiases[j]));
            }
            long firstColumn = 0;
            for (INDArray dInput : dInputs) {
                long width = dInput.size(1);
                dInput.addi(dx.get(NDArrayIndex.all(), NDArrayIndex.interval(firstColumn, firstColumn + width)));
                firstColumn += width;
            }
            return;
        }
        INDArray stacked = stackColumns(weights, inputs[0]);
        INDArray dAll = Nd4j.concat(1, dOutputs).dup('c');
        INDArray dStacked = Nd4j.createUninitialized(stacked.dataType(), stacked.shape());
        int rows = (int) inputs[0].size(0);
        int outputs = (int) stacked.size(1);
        long firstRow = 0;
        for (int i = 0; i < inputs.length; i++) {
            int width = (int) inputs[i].size(1);
            HostGemm.Window input = new HostGemm.Window(inputs[i], 0);
            HostGemm.Window dOut = new HostGemm.Window(dAll, 0);
            HostGemm.gemm(false, true, rows, width, outputs, dOut,
                    new HostGemm.Window(rowBlock(stacked, firstRow, width), 0), new HostGemm.Window(dInputs[i], 0),
                    true);
            HostGemm.gemm(true, false, width, outputs, rows, input, dOut,
                    new HostGemm.Window(rowBlock(dStacked, firstRow, width), 0));
            firstRow += width;
        }
        long firstColumn = 0;
        for (int j = 0; j < weights.length; j++) {
            long width = weights[j].size(1);
            assignGradient(dWeights[j],
                    dStacked.get(NDArrayIndex.all(), NDArrayIndex.interval(firstColumn, firstColumn + width)));
            if (dBiases[j] != null) {
                assignGradient(dBiases[j], dOutputs[j].sum(0));
            }
            firstColumn += width;
        }
    }

    /**
     * [w_1 w_2 ...] as one dense c-order matrix: small, and the weights are often views of DL4J's flat
     * parameter vector in either order.
     */
    private static INDArray stackColumns(INDArray[] weights, INDArray like) {
        long outputs = 0;
        for (INDArray w : weights) {
            outputs += w.size(1);
        }
        INDArray stacked = Nd4j.createUninitialized(like.dataType(), new long[] {weights[0].size(0), outputs}, 'c');
        long firstColumn = 0;
        for (INDArray w : weights) {
            stacked.get(NDArrayIndex.all(), NDArrayIndex.interval(firstColumn, firstColumn + w.size(1))).assign(w);
            firstColumn += w.size(1);
        }
        return stacked;
    }

    /** Rows [first, first + count) of a dense c-order matrix: a view whose rows are contiguous. */
    private static INDArray rowBlock(INDArray matrix, long first, long count) {
        return matrix.get(NDArrayIndex.interval(first, first + count), NDArrayIndex.all());
    }

    private static boolean onHost(INDArray[] arrays) {
        if (!HostBlas.available() || arrays[0].size(0) == 0) {
            return false;
        }
        for (INDArray a : arrays) {
            if (!HostBlas.addressable(a) || a.dataType() != arrays[0].dataType()) {
                return false;
            }
        }
        return true;
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
