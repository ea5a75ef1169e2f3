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
        long heads = d.heads, batch = d.batch, size = d.headSize;
        // [T, 4, NH, B, DH]: each step's input a contiguous block laid out like the slab's raw slots
        INDArray input = Nd4j.createUninitialized(computeType, d.time, 4, heads, batch, size);
        input.assign(inType(preact, computeType).permute(1, 3, 2, 0, 4));
        INDArray kernel = Nd4j.create(computeType, 4, heads, size, size);
        kernel.assign(inType(recurrent, computeType).permute(2, 0, 1, 3));
        kernel = kernel.reshape(4 * heads, size, size);

        // every entry is overwritten whole
        INDArray steps = Nd4j.createUninitialized(computeType, d.time + 1, STEP_SLOTS, heads, batch, size);
        ScalarMemoryPadding padding = ScalarMemoryPadding.of(mask, computeType);
        ScalarMemoryStepSlab prev = new ScalarMemoryStepSlab(computeType, batch, heads, size);
        ScalarMemoryStepSlab next = new ScalarMemoryStepSlab(computeType, batch, heads, size);
        loadInitial(d, next, initial, computeType);
        steps.get(point(0)).assign(next.slab);

        // h_{t-1} once per gate, so that one batched product over (gate, head) lands R h_{t-1} directly in
        // the raw-gate layout
        INDArray hiddenPerGate = Nd4j.create(computeType, 4, heads, batch, size);
        INDArray[] hiddenCopies = new INDArray[4];
        for (int g = 0; g < 4; g++) {
            hiddenCopies[g] = hiddenPerGate.get(interval(g, g + 1), all(), all(), all());
        }
        INDArray hiddenOperand = hiddenPerGate.reshape(4 * heads, batch, size);
        INDArray recurrentPart = Nd4j.create(computeType, 4 * heads, batch, size);
        INDArray recurrentPartBySlot = recurrentPart.reshape(4, heads, batch, size);
        INDArray scratch = Nd4j.create(computeType, 2, heads, batch, size);
        for (int t = 0; t < time; t++) {
            ScalarMemoryStepSlab swap = prev;
            prev = next;
            next = swap;
            for (INDArray copy : hiddenCopies) {
                copy.assign(prev.hidden);
            }
            Nd4j.matmul(hiddenOperand, kernel, recurrentPart);
            input.get(point(t)).add(recurrentPartBySlot, next.raw);
            ScalarMemoryPointwise.forwardStep(prev, next, scratch);
            if (padding != null && padding.isPadded(t)) {
                keepStateWherePadded(padding.stepColumn(t), prev.state, next.state);
            }
            steps.get(point(t + 1)).assign(next.slab);
        }

        ScalarMemoryTrace trace = new ScalarMemoryTrace(d, computeType, resultType, kernel, steps, padding,
                initial != null);
        INDArray hidden = Nd4j.createUninitialized(computeType, batch, d.time, heads, size);
        hidden.assign(trace.state(1, time + 1, H).permute(2, 0, 1, 3));
        if (padding != null) {
            Nd4j.exec(new MulOp(hidden, padding.mask.reshape(batch, d.time, 1, 1), hidden));
        }
        return new ScalarMemoryForward(hidden.reshape(batch, d.time, d.units()).castTo(resultType),
                finalState(d, trace, time), trace);
    }

    /** next = mask ? next : prev, written as products so that the stabilizer stand-in never meets inf. */
    private static void keepStateWherePadded(INDArray column, INDArray prev, INDArray next) {
        Nd4j.exec(new MulOp(next, column, next));
        next.addi(Nd4j.exec(new MulOp(prev, column.rsub(1), next.ulike()))[0]);
    }

    private static void loadInitial(ScalarMemoryDims d, ScalarMemoryStepSlab slab, ScalarMemoryState initial,
            DataType type) {
        if (initial == null) {
            slab.stabilizer.assign(FRESH_STABILIZER);
            return;
        }
        slab.cell.assign(byHead(d, initial.c, type));
        slab.normalizer.assign(byHead(d, initial.n, type));
        slab.hidden.assign(byHead(d, initial.h, type));
        INDArray fresh = byHead(d, initial.n, type).eq(0).castTo(type);
        slab.stabilizer.assign(byHead(d, initial.m, type).mul(fresh.rsub(1)).addi(fresh.muli(FRESH_STABILIZER)));
    }

    /** Units that never saw a real step report m = 0, not the internal stand-in. */
    private static ScalarMemoryState finalState(ScalarMemoryDims d, ScalarMemoryTrace trace, int time) {
        DataType type = trace.resultType;
        INDArray n = byBatch(d, trace.stateAt(time, N));
        INDArray seen = n.neq(0).castTo(n.dataType());
        return new ScalarMemoryState(byBatch(d, trace.stateAt(time, H)).castTo(type),
                byBatch(d, trace.stateAt(time, C)).castTo(type), n.castTo(type),
                byBatch(d, trace.stateAt(time, M)).muli(seen).castTo(type));
    }

    /** [B, NH*DH] to the kernel's unit layout [1, NH, B, DH], a fresh array in {@code type}. */
    private static INDArray byHead(ScalarMemoryDims d, INDArray units, DataType type) {
        INDArray out = Nd4j.create(type, 1, d.heads, d.batch, d.headSize);
        out.get(point(0), all(), all(), all())
                .assign(inType(units, type).reshape(d.batch, d.heads, d.headSize).permute(1, 0, 2));
        return out;
    }

    /** The kernel's unit layout [NH, B, DH] back to [B, NH*DH], a fresh array. */
    static INDArray byBatch(ScalarMemoryDims d, INDArray units) {
        return units.permute(1, 0, 2).dup('c').reshape(d.batch, d.units());
    }

    static INDArray inType(INDArray array, DataType type) {
        return array.dataType() == type ? array : array.castTo(type);
    }
}
