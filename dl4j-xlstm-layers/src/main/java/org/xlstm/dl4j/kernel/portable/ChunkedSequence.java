package org.xlstm.dl4j.kernel.portable;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;

/**
 * A sequence's inputs in the compute type, padded to a whole number of chunks and laid out as
 * [B*NH*NC, L, ...] so that every chunk of every head is one entry of a batched product, together with
 * the gate sums that do not depend on the carried state.
 *
 * <p>Padding steps are masked steps (log forget 0, log input -inf), so they leave the state unchanged and
 * their outputs are cut off.
 */
public final class ChunkedSequence {
    public final DataType inputType;
    public final DataType computeType;
    public final long batch;
    public final long heads;
    public final long length;
    public final long headSize;
    public final int chunk;
    public final long chunks;
    /** B * NH: the number of independent recurrences. */
    public final long rows;

    /** [N, L, DH] with N = B * NH * NC; keys already scaled by 1/sqrt(DH). */
    public final INDArray q;
    public final INDArray kScaled;
    public final INDArray v;
    /** [N, L]: d logsigmoid(f) / df, 0 at masked steps. */
    public final INDArray forgetSlope;
    /** [N, L]: b_j, the in-chunk cumulative sum of log forget gates up to and including step j. */
    public final INDArray logDecay;
    /** [N, L]: a_s = log input gate - b_s (-inf at masked steps). */
    public final INDArray logSource;
    /** [N]: b at the chunk's last step. */
    public final INDArray chunkDecay;
    /** [N, L]: b_L + a_s, the log weight of step s in the chunk-end state before stabilising. */
    public final INDArray endLogWeight;
    /** [B, Tp] 0/1 in the compute type, 0 on padding. */
    private final INDArray paddedMask;
    /** Whether any step is masked or padded, i.e. whether paddedMask holds a 0. */
    private final boolean hasMaskedSteps;

    public ChunkedSequence(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate, INDArray mask,
                    int chunkSize) {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize: must be at least 1, got " + chunkSize);
        }
        this.inputType = q.dataType();
        this.computeType = ComputeTypes.computeTypeFor(inputType);
        this.batch = q.size(0);
        this.heads = q.size(1);
        this.length = q.size(2);
        this.headSize = q.size(3);
        this.chunk = (int) Math.min(chunkSize, length);
        this.chunks = (length + chunk - 1) / chunk;
        this.rows = batch * heads;
        long n = rows * chunks;

        this.paddedMask = Nd4j.zeros(computeType, batch, chunks * chunk);
        INDArray realSteps = paddedMask.get(all(), interval(0, length));
        if (mask == null) {
            realSteps.assign(1.0);
        } else {
            realSteps.assign(mask.gt(0.0).castTo(computeType));
        }
        this.hasMaskedSteps = mask != null || chunks * chunk != length;
        INDArray gateMask = paddedMask.reshape(batch, 1, chunks * chunk);

        this.q = toChunks(q);
        this.kScaled = toChunks(k).div(Math.sqrt(headSize));
        this.v = toChunks(v);
        INDArray f = padded(fgate);
        INDArray logForget = GateLogs.maskedLogForget(f, gateMask).reshape(n, chunk);
        INDArray logInput = GateLogs.maskedLogInput(padded(igate), gateMask).reshape(n, chunk);
        this.forgetSlope = GateLogs.forgetSlope(f, gateMask).reshape(n, chunk);
        this.logDecay = GateLogs.cumulativeSum(logForget, false);
        this.logSource = logInput.subi(logDecay);
        this.chunkDecay = logDecay.get(all(), point(chunk - 1)).dup();
        this.endLogWeight = logSource.add(chunkDecay.reshape(n, 1));
    }

    public long chunkRows() {
        return rows * chunks;
    }

    /** [N, L, L]: log D_js = b_j + a_s for s <= j, -inf above the diagonal. */
    public INDArray logDecayMatrix() {
        long n = chunkRows();
        INDArray d = logDecay.reshape(n, chunk, 1).add(logSource.reshape(n, 1, chunk));
        return d.addi(GateLogs.causalLogMask(computeType, chunk).reshape(1, chunk, chunk));
    }

    /**
     * [B, NH, T, ...] in any type and layout to [N, L, ...] in the compute type, zero-padded. Without padding
     * or a cast this is a view of a plain c-order input and one copy of anything else; the result must be
     * treated as read-only.
     */
    public INDArray toChunks(INDArray x) {
        long[] shape = new long[x.rank() - 1];
        shape[0] = chunkRows();
        shape[1] = chunk;
        System.arraycopy(x.shape(), 3, shape, 2, x.rank() - 3);
        if (chunks * chunk != length) {
            return padded(x).reshape(shape);
        }
        INDArray typed = x.dataType() == computeType ? x : x.castTo(computeType);
        // Views are always copied: reshaping permuted views in place broke TBPTT training (ND4J M2.1).
        boolean contiguous = !typed.isView() && typed.ordering() == 'c' && Shape.hasDefaultStridesForShape(typed);
        return (contiguous ? typed : typed.dup('c')).reshape(shape);
    }

    /** dL/dh [B, NH, T, DH] to [N, L, DH] with masked steps zeroed: their outputs are constant zeros. */
    public INDArray upstreamToChunks(INDArray dh) {
        if (!hasMaskedSteps) {
            return toChunks(dh);
        }
        return padded(dh).muli(paddedMask.reshape(batch, 1, chunks * chunk, 1))
                .reshape(chunkRows(), chunk, headSize);
    }

    /**
     * [N, L, DH] back to [B, NH, T, DH] in the input type; masked steps zeroed when asked. May be a view of
     * {@code x}.
     */
    public INDArray sequenceFromChunks(INDArray x, boolean zeroMasked) {
        INDArray full = x.reshape(batch, heads, chunks * chunk, headSize);
        if (!hasMaskedSteps) {
            return full.castTo(inputType);
        }
        if (zeroMasked) {
            full = full.mul(paddedMask.reshape(batch, 1, chunks * chunk, 1));
        }
        return full.get(all(), all(), interval(0, length), all()).dup('c').castTo(inputType);
    }

    /** [N, L] back to [B, NH, T] in the input type. */
    public INDArray gateFromChunks(INDArray x) {
        INDArray out = x.reshape(batch, heads, chunks * chunk).get(all(), all(), interval(0, length)).dup('c');
        return out.castTo(inputType);
    }

    private INDArray padded(INDArray x) {
        long[] shape = x.shape().clone();
        shape[2] = chunks * chunk;
        INDArray out = Nd4j.zeros(computeType, shape);
        out.get(timeWindow(x.rank())).assign(x);
        return out;
    }

    private INDArrayIndex[] timeWindow(int rank) {
        INDArrayIndex[] index = new INDArrayIndex[rank];
        for (int d = 0; d < rank; d++) {
            index[d] = d == 2 ? interval(0, length) : all();
        }
        return index;
    }
}
