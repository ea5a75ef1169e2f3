package org.xlstm.dl4j.backend.cpu;

import org.xlstm.dl4j.ops.OpSupport;
import static org.xlstm.dl4j.ops.OpSupport.assignGradient;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link org.xlstm.dl4j.ops.ConcatInputLinear} without forming the concatenation: the weights are stacked
 * side by side into one small [sum in, sum out] matrix and every input contributes one product over its row
 * block, accumulated in place, so the inputs are read once for all maps. Biases are the caller's.
 */
final class HostConcatInputLinear {
    private HostConcatInputLinear() {
    }

    /** Whether OpenBLAS can address every array in place. */
    static boolean applies(INDArray[] arrays) {
        if (arrays[0].size(0) == 0) {
            return false;
        }
        for (INDArray a : arrays) {
            if (!HostBlas.addressable(a) || a.dataType() != arrays[0].dataType()) {
                return false;
            }
        }
        return true;
    }

    static INDArray[] forward(INDArray[] inputs, INDArray[] weights) {
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
        INDArray[] outputs = new INDArray[weights.length];
        long firstColumn = 0;
        for (int j = 0; j < weights.length; j++) {
            long width = weights[j].size(1);
            outputs[j] = all.get(NDArrayIndex.all(), NDArrayIndex.interval(firstColumn, firstColumn + width)).dup('c');
            firstColumn += width;
        }
        return outputs;
    }

    /** Writes dW_j and adds each input's gradient into {@code dInputs[i]}. */
    static void backward(INDArray[] inputs, INDArray[] weights, INDArray[] dOutputs, INDArray[] dWeights,
                         INDArray[] dInputs) {
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
}
