package org.xlstm.dl4j.kernel.portable;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
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
 * Every call works on whole [slots, NH, B, DH] slabs so that one step costs a fixed, small number of ND4J
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
     * One step. {@code next.raw} already holds preact + R h_{t-1}; writes the gate activations and the new
     * state into {@code next}. {@code scratch} is [2, NH, B, DH].
     */
    static void forwardStep(ScalarMemoryStepSlab prev, ScalarMemoryStepSlab next, INDArray scratch) {
        Nd4j.exec(new LogSigmoid(next.rawF, next.forgetGate));
        next.forgetGate.addi(prev.stabilizer);
        Nd4j.exec(new Max(next.rawI, next.forgetGate, next.stabilizer));
        next.inputGate.assign(next.rawI);
        Nd4j.exec(new SubOp(next.inputAndForget, next.stabilizer, next.inputAndForget));
        Nd4j.exec(new Exp(next.inputAndForget, next.inputAndForget));
        Nd4j.exec(new Tanh(next.rawZ, next.cellInput));
        Nd4j.exec(new Sigmoid(next.rawO, next.outputGate));

        Nd4j.exec(new MulOp(prev.cellAndNormalizer, next.forgetGate, next.cellAndNormalizer));
        Nd4j.exec(new MulOp(next.cellInputAndOne, next.inputGate, scratch));
        next.cellAndNormalizer.addi(scratch);
        next.cell.div(next.normalizer, next.hidden);
        next.hidden.muli(next.outputGate);
    }

    /**
     * Coefficients [Tc, 3, 7, NH, B, DH] of the linear map that one backward step applies: per unit,
     * (dL/draw i, f, z, o, pass-through, dL/dc_{t-1}, dL/dn_{t-1}) = coef . (dL/dc_t carried,
     * dL/dn_t carried, dL/dh_t). None of it depends on the incoming gradients, so a whole block of steps
     * [from, to) is prepared in a few large calls and the sequential loop is left with a multiply and two
     * additions per step.
     *
     * @param mask [Tc, B] or null; padded steps become the identity on the carried gradients
     * @param coef contiguous, overwritten
     */
    static void backwardCoefficients(ScalarMemoryTrace trace, int from, int to, INDArray mask, INDArray coef) {
        coef.assign(0);
        INDArray inputGate = trace.activation(from, to, ACT_I);
        INDArray forgetGate = trace.activation(from, to, ACT_F);
        INDArray cellInput = trace.activation(from, to, ACT_Z);
        INDArray outputGate = trace.activation(from, to, ACT_O);
        INDArray hidden = trace.state(from + 1, to + 1, H);

        // d logsigmoid(f)/df = sigmoid(-f); times f' gives d f'/d f_raw
        INDArray forgetSlope = trace.rawGate(from, to, F).neg();
        Nd4j.exec(new Sigmoid(forgetSlope, forgetSlope));
        forgetSlope.muli(forgetGate);

        cellInput.mul(inputGate, entry(coef, D_I, IN_DC));
        entry(coef, D_I, IN_DN).assign(inputGate);
        trace.state(from, to, C).mul(forgetSlope, entry(coef, D_F, IN_DC));
        trace.state(from, to, N).mul(forgetSlope, entry(coef, D_F, IN_DN));
        INDArray cellSlope = entry(coef, D_Z, IN_DC);
        cellInput.mul(cellInput, cellSlope);
        cellSlope.rsubi(1).muli(inputGate);
        entry(coef, DC_PREV, IN_DC).assign(forgetGate);
        entry(coef, DN_PREV, IN_DN).assign(forgetGate);

        // h = s c / n adds s/n dh to dL/dc and -h/n dh to dL/dn; padded units may have n = 0, so their
        // normalizer is shifted to keep the discarded coefficients finite
        INDArray normalizer = trace.state(from + 1, to + 1, N);
        INDArray inverseMask = null;
        if (mask != null) {
            inverseMask = mask.rsub(1).reshape(mask.size(0), 1, mask.size(1), 1);
            normalizer = Nd4j.exec(new AddOp(normalizer, inverseMask, normalizer.ulike()))[0];
        }
        long[] broadcastShape = {hidden.size(0), 1, hidden.size(1), hidden.size(2), hidden.size(3)};
        INDArray cellShare = outputGate.div(normalizer).reshape(broadcastShape);
        INDArray normalizerShare = hidden.div(normalizer).negi().reshape(broadcastShape);
        INDArray hiddenColumn = column(coef, IN_G);
        Nd4j.exec(new MulOp(column(coef, IN_DC), cellShare, hiddenColumn));
        hiddenColumn.addi(Nd4j.exec(new MulOp(column(coef, IN_DN), normalizerShare, hiddenColumn.ulike()))[0]);
        hidden.mul(outputGate.rsub(1), entry(coef, D_O, IN_G));

        if (mask != null) {
            Nd4j.exec(new MulOp(coef, mask.reshape(mask.size(0), 1, 1, 1, mask.size(1), 1), coef));
            addBroadcast(entry(coef, DC_PREV, IN_DC), inverseMask);
            addBroadcast(entry(coef, DN_PREV, IN_DN), inverseMask);
            addBroadcast(entry(coef, G_PASS, IN_G), inverseMask);
        }
    }

    private static void addBroadcast(INDArray target, INDArray addend) {
        Nd4j.exec(new AddOp(target, addend, target));
    }

    private static INDArray entry(INDArray coef, int row, int col) {
        return coef.get(all(), point(col), point(row), all(), all(), all());
    }

    private static INDArray column(INDArray coef, int col) {
        return coef.get(all(), point(col), all(), all(), all(), all());
    }
}
