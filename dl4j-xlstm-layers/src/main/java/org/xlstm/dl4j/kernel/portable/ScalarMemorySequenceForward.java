package org.xlstm.dl4j.kernel.portable;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;
import static org.xlstm.dl4j.kernel.portable.ScalarMemoryTrace.*;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.ScalarMemoryForward;
import org.xlstm.dl4j.kernel.ScalarMemoryState;

/** The sLSTM forward loop over time; all step results go into buffers allocated once per call. */
final class ScalarMemorySequenceForward {

    private ScalarMemorySequenceForward() {
    }

    /** Arguments already validated by the caller. */
    static ScalarMemoryForward run(ScalarMemoryDims d, INDArray preact, INDArray recurrent, INDArray mask,
            ScalarMemoryState initial) {
        DataType resultType = preact.dataType();
        DataType computeType = resultType == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
        int time = (int) d.time;
        INDArray input = inType(preact, computeType);
        INDArray kernel = inType(recurrent, computeType).reshape('c', d.heads, d.headSize, 4 * d.headSize);

        INDArray steps = Nd4j.create(computeType, d.time + 1, d.batch, d.heads, STEP_SLOTS, d.headSize);
        ScalarMemoryPadding padding = ScalarMemoryPadding.of(mask, computeType);

        ScalarMemoryStepSlab prev = new ScalarMemoryStepSlab(computeType, d.batch, d.heads, d.headSize);
        ScalarMemoryStepSlab next = new ScalarMemoryStepSlab(computeType, d.batch, d.heads, d.headSize);
        loadInitial(d, next.state, initial, computeType);
        steps.get(point(0)).assign(next.slab);
        INDArray recurrentPart = Nd4j.create(computeType, d.heads, d.batch, 4 * d.headSize);
        INDArray recurrentPartByBatch = recurrentPart.reshape(d.heads, d.batch, 4, d.headSize).permute(1, 0, 2, 3);
        INDArray scratch = Nd4j.create(computeType, d.batch, d.heads, 2, d.headSize);
        for (int t = 0; t < time; t++) {
            ScalarMemoryStepSlab swap = prev;
            prev = next;
            next = swap;
            Nd4j.matmul(prev.hiddenByHead, kernel, recurrentPart);
            input.get(all(), point(t), all(), all(), all()).add(recurrentPartByBatch, next.raw);
            ScalarMemoryPointwise.forwardStep(prev, next, scratch);
            if (padding != null && padding.isPadded(t)) {
                keepStateWherePadded(padding.stepColumn(t), prev.state, next.state);
            }
            steps.get(point(t + 1)).assign(next.slab);
        }

        INDArray hidden = Nd4j.create(computeType, d.batch, d.time, d.heads, d.headSize);
        hidden.assign(steps.get(interval(1, time + 1), all(), all(), point(STATE_AT + H), all()).permute(1, 0, 2, 3));
        if (padding != null) {
            Nd4j.exec(new MulOp(hidden, padding.mask.reshape(d.batch, d.time, 1, 1), hidden));
        }
        ScalarMemoryTrace trace = new ScalarMemoryTrace(d, computeType, resultType, kernel, steps, padding,
                initial != null);
        return new ScalarMemoryForward(hidden.reshape(d.batch, d.time, d.units()).castTo(resultType),
                finalState(d, trace.stateAt(time), resultType), trace);
    }

    /** next = mask ? next : prev, written as products so that the stabilizer stand-in never meets inf. */
    private static void keepStateWherePadded(INDArray column, INDArray prev, INDArray next) {
        Nd4j.exec(new MulOp(next, column, next));
        next.addi(Nd4j.exec(new MulOp(prev, column.rsub(1), next.ulike()))[0]);
    }

    private static void loadInitial(ScalarMemoryDims d, INDArray slab, ScalarMemoryState initial, DataType type) {
        INDArray stabilizer = slab.get(all(), all(), point(M), all());
        if (initial == null) {
            stabilizer.assign(FRESH_STABILIZER);
            return;
        }
        slab.get(all(), all(), point(C), all()).assign(unitsByHead(d, initial.c, type));
        slab.get(all(), all(), point(N), all()).assign(unitsByHead(d, initial.n, type));
        slab.get(all(), all(), point(H), all()).assign(unitsByHead(d, initial.h, type));
        INDArray fresh = unitsByHead(d, initial.n, type).eq(0).castTo(type);
        stabilizer.assign(unitsByHead(d, initial.m, type).mul(fresh.rsub(1)).addi(fresh.muli(FRESH_STABILIZER)));
    }

    /** Units that never saw a real step report m = 0, not the internal stand-in. */
    private static ScalarMemoryState finalState(ScalarMemoryDims d, INDArray slab, DataType type) {
        INDArray n = flatUnits(d, slab, N);
        INDArray seen = n.neq(0).castTo(n.dataType());
        return new ScalarMemoryState(flatUnits(d, slab, H).castTo(type), flatUnits(d, slab, C).castTo(type),
                n.castTo(type), flatUnits(d, slab, M).muli(seen).castTo(type));
    }

    private static INDArray flatUnits(ScalarMemoryDims d, INDArray slab, int k) {
        return slab.get(all(), all(), point(k), all()).dup('c').reshape(d.batch, d.units());
    }

    private static INDArray unitsByHead(ScalarMemoryDims d, INDArray units, DataType type) {
        return inType(units, type).reshape(d.batch, d.heads, d.headSize);
    }

    static INDArray inType(INDArray array, DataType type) {
        return array.dataType() == type ? array : array.castTo(type);
    }
}
