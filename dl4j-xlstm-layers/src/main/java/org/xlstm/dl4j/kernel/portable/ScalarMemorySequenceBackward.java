package org.xlstm.dl4j.kernel.portable;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;
import static org.xlstm.dl4j.kernel.portable.ScalarMemoryPointwise.*;
import static org.xlstm.dl4j.kernel.portable.ScalarMemoryTrace.*;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.ScalarMemoryGradients;
import org.xlstm.dl4j.kernel.ScalarMemoryState;

/**
 * Backpropagation through time for the sLSTM. Everything that does not depend on incoming gradients is
 * prepared a block of steps at a time ({@link ScalarMemoryPointwise#backwardCoefficients}); the reverse
 * loop is then a handful of ND4J calls per step, and dL/dR is one batched product over all steps at the end.
 *
 * <p>Step t fills a slab [8, 1, NH, B, DH]: its outputs in the coefficient row order (raw-gate gradients,
 * pass-through, dL/dc_{t-1}, dL/dn_{t-1}) and, in row {@link #G_PREV}, dL/dh_{t-1}. Rows 5..7 are thus
 * exactly the input of step t-1. Two slabs alternate, their views made once, and each step is copied
 * into {@code grads[t]}.
 */
final class ScalarMemorySequenceBackward {

    private static final int G_PREV = ROWS;
    private static final int GRAD_ROWS = ROWS + 1;
    /** Steps whose coefficients are prepared together: bounds their memory at 21 values per unit and step. */
    private static final int BLOCK = 32;

    private ScalarMemorySequenceBackward() {
    }

    private static final class Slab {
        final INDArray slab;
        final INDArray outputs;
        final INDArray carried;
        /** The raw-gate gradients as [4*NH, B, DH], batch entry gate*NH + head like the gate-major R. */
        final INDArray rawGradOperand;
        final INDArray hiddenGrad;
        final INDArray hiddenPass;

        Slab(ScalarMemoryDims d, DataType type) {
            slab = Nd4j.create(type, GRAD_ROWS, 1, d.heads, d.batch, d.headSize);
            outputs = slab.get(interval(0, ROWS), point(0), all(), all(), all());
            carried = slab.get(interval(DC_PREV, G_PREV + 1), all(), all(), all(), all());
            rawGradOperand = slab.reshape(GRAD_ROWS * d.heads, d.batch, d.headSize)
                    .get(interval(0, 4 * d.heads), all(), all());
            hiddenGrad = slab.get(point(G_PREV), point(0), all(), all(), all());
            hiddenPass = slab.get(point(G_PASS), point(0), all(), all(), all());
        }
    }

    static ScalarMemoryGradients run(ScalarMemoryTrace trace, INDArray dh) {
        ScalarMemoryDims d = trace.dims;
        DataType type = trace.computeType;
        int time = (int) d.time;
        long heads = d.heads, batch = d.batch, size = d.headSize;
        ScalarMemoryPadding padding = trace.padding;

        INDArray outputGrad = Nd4j.createUninitialized(type, d.time, heads, batch, size);
        outputGrad.assign(ScalarMemorySequenceForward.inType(dh, type).reshape(batch, d.time, heads, size)
                .permute(1, 2, 0, 3));
        if (padding != null) {
            Nd4j.exec(new MulOp(outputGrad, padding.mask.transpose().reshape(d.time, 1, batch, 1), outputGrad));
        }

        INDArray grads = Nd4j.createUninitialized(type, d.time, GRAD_ROWS, 1, heads, batch, size);
        Slab current = new Slab(d, type);
        Slab later = new Slab(d, type);
        later.hiddenGrad.assign(outputGrad.get(point(time - 1)));
        // summing the COLS products with two contiguous additions is far cheaper than ND4J's reduction
        // over a short middle axis
        INDArray product = Nd4j.create(type, COLS, ROWS, heads, batch, size);
        INDArray[] products = new INDArray[COLS];
        for (int c = 0; c < COLS; c++) {
            products[c] = product.get(point(c), all(), all(), all(), all());
        }
        // the four per-gate parts of R^T dRaw plus dL/dh_{t-1} from the output, summed in one reduction
        INDArray hiddenParts = Nd4j.create(type, 5, heads, batch, size);
        INDArray gateParts = hiddenParts.reshape(5 * heads, batch, size).get(interval(0, 4 * heads), all(), all());
        INDArray outputPart = hiddenParts.get(point(4), all(), all(), all());
        for (int blockEnd = time; blockEnd > 0; blockEnd -= BLOCK) {
            int blockStart = Math.max(0, blockEnd - BLOCK);
            INDArray coef = Nd4j.createUninitialized(type, blockEnd - blockStart, COLS, ROWS, heads, batch, size);
            ScalarMemoryPointwise.backwardCoefficients(trace, blockStart, blockEnd,
                    padding == null ? null : padding.mask.get(all(), interval(blockStart, blockEnd)).transpose(), coef);
            for (int t = blockEnd - 1; t >= blockStart; t--) {
                Nd4j.exec(new MulOp(coef.get(point(t - blockStart)), later.carried, product));
                products[IN_DC].add(products[IN_DN], current.outputs);
                current.outputs.addi(products[IN_G]);
                Nd4j.matmul(current.rawGradOperand, trace.recurrent, gateParts, false, true, false);
                if (t > 0) {
                    outputPart.assign(outputGrad.get(point(t - 1)));
                } else {
                    outputPart.assign(0);
                }
                hiddenParts.sum(current.hiddenGrad, 0);
                if (padding != null && padding.isPadded(t)) {
                    current.hiddenGrad.addi(current.hiddenPass);
                }
                grads.get(point(t)).assign(current.slab);
                Slab swap = later;
                later = current;
                current = swap;
            }
        }

        // [T, 4, NH, B, DH]
        INDArray rawGrads = grads.get(all(), interval(D_I, D_O + 1), point(0), all(), all(), all());
        INDArray dPreact = Nd4j.createUninitialized(type, batch, d.time, heads, 4, size);
        dPreact.assign(rawGrads.permute(3, 0, 2, 1, 4));
        INDArray previousHidden = trace.state(0, time, H).permute(1, 3, 0, 2).dup('c')
                .reshape(heads, size, d.time * batch);
        INDArray rawGradsByHead = rawGrads.permute(2, 0, 3, 1, 4).dup('c').reshape(heads, d.time * batch, 4 * size);
        INDArray dRecurrent = Nd4j.matmul(previousHidden, rawGradsByHead).reshape(heads, size, 4, size);

        ScalarMemoryState dInitial = trace.initialGiven ? initialGradient(trace, grads) : null;
        DataType result = trace.resultType;
        return new ScalarMemoryGradients(dPreact.castTo(result), dRecurrent.castTo(result), dInitial);
    }

    /**
     * dL/dc_0, dL/dn_0 and dL/dh_0 are the carried gradients left after step 0. The initial m enters only
     * the forget gate of the row's first real step (padded steps pass it through), where
     * df'/dm_0 = f', so dL/dm_0 = f' (dc c_0 + dn n_0) = dL/dc_{t-1} c_0 + dL/dn_{t-1} n_0 at that step.
     */
    private static ScalarMemoryState initialGradient(ScalarMemoryTrace trace, INDArray grads) {
        ScalarMemoryDims d = trace.dims;
        INDArray carriedCell;
        INDArray carriedNormalizer;
        if (trace.padding == null) {
            carriedCell = grads.get(point(0), point(DC_PREV), point(0), all(), all(), all());
            carriedNormalizer = grads.get(point(0), point(DN_PREV), point(0), all(), all(), all());
        } else {
            carriedCell = Nd4j.zeros(trace.computeType, d.heads, d.batch, d.headSize);
            carriedNormalizer = Nd4j.zeros(trace.computeType, d.heads, d.batch, d.headSize);
            for (int b = 0; b < d.batch; b++) {
                int t = trace.padding.firstReal(b);
                if (t < d.time) {
                    carriedCell.get(all(), point(b), all())
                            .assign(grads.get(point(t), point(DC_PREV), point(0), all(), point(b), all()));
                    carriedNormalizer.get(all(), point(b), all())
                            .assign(grads.get(point(t), point(DN_PREV), point(0), all(), point(b), all()));
                }
            }
        }
        INDArray dm = carriedCell.mul(trace.stateAt(0, C)).addi(carriedNormalizer.mul(trace.stateAt(0, N)));
        DataType result = trace.resultType;
        return new ScalarMemoryState(stepRow(d, grads, G_PREV).castTo(result), stepRow(d, grads, DC_PREV).castTo(result),
                stepRow(d, grads, DN_PREV).castTo(result), ScalarMemorySequenceForward.byBatch(d, dm).castTo(result));
    }

    private static INDArray stepRow(ScalarMemoryDims d, INDArray grads, int row) {
        return ScalarMemorySequenceForward.byBatch(d, grads.get(point(0), point(row), point(0), all(), all(), all()));
    }
}
