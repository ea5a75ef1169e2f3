package org.xlstm.dl4j.kernel.portable;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.kernel.MatrixMemoryStep;

/** One step of the mLSTM recurrence for a minibatch, O(DH^2) per head: streaming and generation. */
final class MatrixMemoryRecurrentStep {
    private MatrixMemoryRecurrentStep() {
    }

    static MatrixMemoryStep run(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate,
                                INDArray mask, MatrixMemoryState state) {
        MatrixMemoryArguments.checkStep(q, k, v, igate, fgate, mask, state);
        DataType inputType = q.dataType();
        DataType type = ComputeTypes.computeTypeFor(inputType);
        long batch = q.size(0);
        long heads = q.size(1);
        long dh = q.size(2);
        long rows = batch * heads;

        INDArray real = mask == null
                ? Nd4j.ones(type, batch, 1)
                : mask.gt(0.0).castTo(type).reshape(batch, 1);
        MatrixMemoryState s = state == null
                ? MatrixMemoryState.zeros(type, batch, heads, dh)
                : state.castTo(type);
        // A masked row gets log forget 0 and log input -inf, which keeps its state exactly.
        INDArray logForget = GateLogs.maskedLogForget(fgate.castTo(type), real);
        INDArray logInput = GateLogs.maskedLogInput(igate.castTo(type), real);
        INDArray decayed = logForget.addi(s.m);
        INDArray m = Transforms.max(decayed, logInput, true);
        INDArray forget = Transforms.exp(decayed.subi(m), false).reshape(batch, heads, 1);
        INDArray input = Transforms.exp(logInput.sub(m), false).reshape(batch, heads, 1);

        INDArray kScaled = k.castTo(type).div(Math.sqrt(dh)).muli(input);
        INDArray vt = v.castTo(type);
        INDArray outer = kScaled.reshape(batch, heads, dh, 1).mul(vt.reshape(batch, heads, 1, dh));
        INDArray c = s.c.mul(forget.reshape(batch, heads, 1, 1)).addi(outer);
        INDArray n = s.n.mul(forget).addi(kScaled);

        INDArray qt = q.castTo(type);
        INDArray read = BatchedProducts.matmul(qt.reshape(rows, 1, dh), c.reshape(rows, dh, dh))
                .reshape(batch, heads, dh);
        INDArray den = qt.mul(n).sum(2);
        INDArray h = read.divi(ChunkwiseMatrixMemoryForward.normalizer(den, m).reshape(batch, heads, 1))
                .muli(real.reshape(batch, 1, 1));
        return new MatrixMemoryStep(h.castTo(inputType),
                new MatrixMemoryState(c.castTo(inputType), n.castTo(inputType), m.castTo(inputType)));
    }
}
