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
 * loop then needs five ND4J calls per step, and dL/dR is one batched product over all steps at the end.
 *
 * <p>Step t fills a slab [B, NH, 1, 8, DH]: its outputs in the coefficient row order (raw-gate gradients,
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
        final INDArray rawGradByHead;
        final INDArray hiddenGrad;
        final INDArray hiddenPass;

        Slab(ScalarMemoryDims d, DataType type) {
            slab = Nd4j.create(type, d.batch, d.heads, 1, GRAD_ROWS, d.headSize);
            outputs = slab.get(all(), all(), point(0), interval(0, ROWS), all());
            carried = slab.get(all(), all(), all(), interval(DC_PREV, G_PREV + 1), all());
            rawGradByHead = slab.get(all(), all(), point(0), interval(D_I, D_O + 1), all())
                    .reshape(d.batch, d.heads, 4 * d.headSize).permute(1, 0, 2);
            hiddenGrad = slab.get(all(), all(), point(0), point(G_PREV), all());
            hiddenPass = slab.get(all(), all(), point(0), point(G_PASS), all());
        }
    }

    static ScalarMemoryGradients run(ScalarMemoryTrace trace, INDArray dh) {
        ScalarMemoryDims d = trace.dims;
        DataType type = trace.computeType;
        int time = (int) d.time;
        ScalarMemoryPadding padding = trace.padding;

        INDArray outputGrad = Nd4j.create(type, d.time, d.batch, d.heads, d.headSize);
        outputGrad.assign(ScalarMemorySequenceForward.inType(dh, type).reshape(d.batch, d.time, d.heads, d.headSize)
                .permute(1, 0, 2, 3));
        if (padding != null) {
            Nd4j.exec(new MulOp(outputGrad, padding.mask.transpose().reshape(d.time, d.batch, 1, 1), outputGrad));
        }

        INDArray grads = Nd4j.create(type, d.time, d.batch, d.heads, 1, GRAD_ROWS, d.headSize);
        Slab current = new Slab(d, type);
        Slab later = new Slab(d, type);
        later.hiddenGrad.assign(outputGrad.get(point(time - 1)));
        INDArray product = Nd4j.create(type, d.batch, d.heads, ROWS, COLS, d.headSize);
        INDArray recurrentGrad = Nd4j.create(type, d.heads, d.batch, d.headSize);
        INDArray recurrentGradByBatch = recurrentGrad.permute(1, 0, 2);
        for (int blockEnd = time; blockEnd > 0; blockEnd -= BLOCK) {
            int blockStart = Math.max(0, blockEnd - BLOCK);
            INDArray coef = Nd4j.create(type, blockEnd - blockStart, d.batch, d.heads, ROWS, COLS, d.headSize);
            ScalarMemoryPointwise.backwardCoefficients(trace, blockStart, blockEnd,
                    padding == null ? null : padding.mask.get(all(), interval(blockStart, blockEnd)).transpose(), coef);
            for (int t = blockEnd - 1; t >= blockStart; t--) {
                Nd4j.exec(new MulOp(coef.get(point(t - blockStart)), later.carried, product));
                product.sum(current.outputs, 3);
                Nd4j.matmul(current.rawGradByHead, trace.recurrent, recurrentGrad, false, true, false);
                if (t > 0) {
                    outputGrad.get(point(t - 1)).add(recurrentGradByBatch, current.hiddenGrad);
                } else {
                    current.hiddenGrad.assign(recurrentGradByBatch);
                }
                if (padding != null && padding.isPadded(t)) {
                    current.hiddenGrad.addi(current.hiddenPass);
                }
                grads.get(point(t)).assign(current.slab);
                Slab swap = later;
                later = current;
                current = swap;
            }
        }

        INDArray rawGrads = grads.get(all(), all(), all(), point(0), interval(D_I, D_O + 1), all());
        INDArray dPreact = Nd4j.create(type, d.batch, d.time, d.heads, 4, d.headSize);
        dPreact.assign(rawGrads.permute(1, 0, 2, 3, 4));
        INDArray previousHidden = trace.state(0, time, H)
                .permute(2, 3, 0, 1).dup('c').reshape(d.heads, d.headSize, d.time * d.batch);
        INDArray rawGradsByHead = rawGrads.permute(2, 0, 1, 3, 4).dup('c')
                .reshape(d.heads, d.time * d.batch, 4 * d.headSize);
        INDArray dRecurrent = Nd4j.matmul(previousHidden, rawGradsByHead).reshape(d.heads, d.headSize, 4, d.headSize);

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
        INDArray first = grads.get(point(0), all(), all(), point(0), all(), all());
        INDArray atFirstReal;
        if (trace.padding == null) {
            atFirstReal = first;
        } else {
            atFirstReal = Nd4j.zeros(trace.computeType, d.batch, d.heads, GRAD_ROWS, d.headSize);
            for (int b = 0; b < d.batch; b++) {
                int t = trace.padding.firstReal(b);
                if (t < d.time) {
                    atFirstReal.get(point(b)).assign(grads.get(point(t), point(b), all(), point(0), all(), all()));
                }
            }
        }
        INDArray initial = trace.stateAt(0);
        INDArray dm = atFirstReal.get(all(), all(), point(DC_PREV), all()).mul(initial.get(all(), all(), point(C), all()))
                .addi(atFirstReal.get(all(), all(), point(DN_PREV), all()).mul(initial.get(all(), all(), point(N), all())));
        return new ScalarMemoryState(units(d, first, G_PREV, trace), units(d, first, DC_PREV, trace),
                units(d, first, DN_PREV, trace), dm.reshape(d.batch, d.units()).castTo(trace.resultType));
    }

    private static INDArray units(ScalarMemoryDims d, INDArray step, int row, ScalarMemoryTrace trace) {
        return step.get(all(), all(), point(row), all()).dup('c').reshape(d.batch, d.units()).castTo(trace.resultType);
    }
}
