package org.xlstm.dl4j.kernel.portable;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;
import static org.xlstm.dl4j.kernel.portable.ScalarMemoryTrace.*;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.Max;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.LogSigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The per-unit sLSTM gate math, forward for one step and the backward coefficients for a block of steps.
 * Every call works on whole [B, NH, slots, DH] slabs so that one step costs a fixed, small number of ND4J
 * calls whatever the sizes.
 *
 * <p>The stabilizer m is treated as a constant in backward. h is exactly invariant to the m of every
 * computed step (m >= both exponents, so the min(., 1) clips never act, and c, n both scale by exp(-m));
 * the paths through m therefore cancel and dropping them all gives the exact gradient. The initial m is an
 * input, not a stabilizer choice, and gets its gradient separately.
 */
final class ScalarMemoryPointwise {

    /** Rows of the backward coefficients: the raw-gate gradients, the hidden-gradient pass-through of
     * padded steps, and the carried cell and normalizer gradients. */
    static final int D_I = 0, D_F = 1, D_Z = 2, D_O = 3, G_PASS = 4, DC_PREV = 5, DN_PREV = 6, ROWS = 7;
    /** Columns: what a step's outputs are linear in, the carried dL/dc, dL/dn and dL/dh of the step. */
    static final int IN_DC = 0, IN_DN = 1, IN_G = 2, COLS = 3;

    private ScalarMemoryPointwise() {
    }

    /**
     * One step. {@code raw} [B, NH, 4, DH] already holds preact + R h_{t-1}; writes the gate activations
     * into {@code act} [B, NH, 5, DH] and the new state into {@code next} [B, NH, 4, DH].
     * {@code scratch} is [B, NH, 2, DH].
     */
    static void forwardStep(INDArray raw, INDArray act, INDArray prev, INDArray next, INDArray scratch) {
        INDArray inputGate = slot(act, ACT_I);
        INDArray forgetGate = slot(act, ACT_F);
        INDArray stabilizer = slot(next, M);
        Nd4j.exec(new LogSigmoid(slot(raw, F), forgetGate));
        forgetGate.addi(slot(prev, M));
        Nd4j.exec(new Max(slot(raw, I), forgetGate, stabilizer));
        inputGate.assign(slot(raw, I));
        INDArray inputAndForget = slots(act, ACT_I, ACT_F);
        Nd4j.exec(new SubOp(inputAndForget, stabilizer, inputAndForget));
        Nd4j.exec(new Exp(inputAndForget, inputAndForget));
        Nd4j.exec(new Tanh(slot(raw, Z), slot(act, ACT_Z)));
        Nd4j.exec(new Sigmoid(slot(raw, O), slot(act, ACT_O)));

        INDArray cellAndNormalizer = slots(next, C, N);
        Nd4j.exec(new MulOp(slots(prev, C, N), forgetGate, cellAndNormalizer));
        Nd4j.exec(new MulOp(slots(act, ACT_Z, ACT_ONE), inputGate, scratch));
        cellAndNormalizer.addi(scratch);
        INDArray hidden = slot(next, H);
        slot(next, C).div(slot(next, N), hidden);
        hidden.muli(slot(act, ACT_O));
    }

    /**
     * Coefficients [Tc, B, NH, 7, 3, DH] of the linear map that one backward step applies: per unit,
     * (dL/draw i, f, z, o, pass-through, dL/dc_{t-1}, dL/dn_{t-1}) = coef . (dL/dc_t carried,
     * dL/dn_t carried, dL/dh_t). None of it depends on the incoming gradients, so a whole block of steps
     * is prepared in a few large calls and the sequential loop is left with a multiply and a sum per step.
     *
     * @param act       [Tc, B, NH, 5, DH] gate activations of the block
     * @param prev      [Tc, B, NH, 4, DH] states entering each step
     * @param next      [Tc, B, NH, 4, DH] states leaving each step
     * @param forgetRaw [Tc, B, NH, DH] raw forget-gate pre-activations
     * @param mask      [Tc, B] or null; padded steps become the identity on the carried gradients
     */
    static void backwardCoefficients(INDArray act, INDArray prev, INDArray next, INDArray forgetRaw, INDArray mask,
            INDArray coef) {
        coef.assign(0);
        INDArray inputGate = plane(act, ACT_I);
        INDArray forgetGate = plane(act, ACT_F);
        INDArray cellInput = plane(act, ACT_Z);
        INDArray outputGate = plane(act, ACT_O);
        INDArray hidden = plane(next, H);

        // d logsigmoid(f)/df = sigmoid(-f); times f' gives d f'/d f_raw
        INDArray forgetSlope = forgetRaw.neg();
        Nd4j.exec(new Sigmoid(forgetSlope, forgetSlope));
        forgetSlope.muli(forgetGate);

        cellInput.mul(inputGate, entry(coef, D_I, IN_DC));
        entry(coef, D_I, IN_DN).assign(inputGate);
        plane(prev, C).mul(forgetSlope, entry(coef, D_F, IN_DC));
        plane(prev, N).mul(forgetSlope, entry(coef, D_F, IN_DN));
        INDArray cellSlope = entry(coef, D_Z, IN_DC);
        cellInput.mul(cellInput, cellSlope);
        cellSlope.rsubi(1).muli(inputGate);
        entry(coef, DC_PREV, IN_DC).assign(forgetGate);
        entry(coef, DN_PREV, IN_DN).assign(forgetGate);

        // h = s c / n adds s/n dh to dL/dc and -h/n dh to dL/dn; padded units may have n = 0, so their
        // normalizer is shifted to keep the discarded coefficients finite
        INDArray normalizer = plane(next, N);
        INDArray inverseMask = null;
        if (mask != null) {
            inverseMask = mask.rsub(1).reshape(mask.size(0), mask.size(1), 1, 1);
            normalizer = Nd4j.exec(new AddOp(normalizer, inverseMask, normalizer.ulike()))[0];
        }
        long[] broadcastShape = {hidden.size(0), hidden.size(1), hidden.size(2), 1, hidden.size(3)};
        INDArray cellShare = outputGate.div(normalizer).reshape(broadcastShape);
        INDArray normalizerShare = hidden.div(normalizer).negi().reshape(broadcastShape);
        INDArray hiddenColumn = column(coef, IN_G);
        Nd4j.exec(new MulOp(column(coef, IN_DC), cellShare, hiddenColumn));
        hiddenColumn.addi(Nd4j.exec(new MulOp(column(coef, IN_DN), normalizerShare, hiddenColumn.ulike()))[0]);
        hidden.mul(outputGate.rsub(1), entry(coef, D_O, IN_G));

        if (mask != null) {
            Nd4j.exec(new MulOp(coef, mask.reshape(mask.size(0), mask.size(1), 1, 1, 1, 1), coef));
            addBroadcast(entry(coef, DC_PREV, IN_DC), inverseMask);
            addBroadcast(entry(coef, DN_PREV, IN_DN), inverseMask);
            addBroadcast(entry(coef, G_PASS, IN_G), inverseMask);
        }
    }

    private static void addBroadcast(INDArray target, INDArray addend) {
        Nd4j.exec(new AddOp(target, addend, target));
    }

    /** [B, NH, 1, DH] view of one slot of a [B, NH, slots, DH] slab. */
    static INDArray slot(INDArray slab, int k) {
        return slab.get(all(), all(), interval(k, k + 1), all());
    }

    /** [B, NH, last-first+1, DH] view of adjacent slots. */
    static INDArray slots(INDArray slab, int first, int last) {
        return slab.get(all(), all(), interval(first, last + 1), all());
    }

    /** [Tc, B, NH, DH] view of one slot of a [Tc, B, NH, slots, DH] block. */
    static INDArray plane(INDArray block, int k) {
        return block.get(all(), all(), all(), point(k), all());
    }

    private static INDArray entry(INDArray coef, int row, int col) {
        return coef.get(all(), all(), all(), point(row), point(col), all());
    }

    private static INDArray column(INDArray coef, int col) {
        return coef.get(all(), all(), all(), all(), point(col), all());
    }
}
