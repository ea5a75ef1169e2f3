package org.xlstm.dl4j.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.KernelRegistry;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryGradients;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.kernel.MatrixMemoryStep;
import org.xlstm.dl4j.ops.Activations;
import org.xlstm.dl4j.ops.BlockDiagonalLinear;
import org.xlstm.dl4j.ops.ConcatInputLinear;
import org.xlstm.dl4j.ops.HeadLayout;
import org.xlstm.dl4j.ops.Linear;
import org.xlstm.dl4j.ops.NormSkipGate;
import org.xlstm.dl4j.backend.cpu.step.StepForms;
import org.xlstm.dl4j.backend.cpu.step.TokenStep;

/**
 * The mLSTM layer of xLSTM (pre up-projection): up-projection to [x_m, z], causal conv + SiLU on x_m,
 * block-diagonal q/k (from the conv branch) and v (from x_m), scalar input/forget gates from [q, k, v],
 * the matrix-memory cell, per-head norm, learnable skip, output gate SiLU(z), down-projection.
 */
public final class MLSTMModule implements SequenceModule {
    /** The epsilon of every xLSTM norm (LayerNorm, per-head group norm). */
    public static final double NORM_EPS = 1e-5;

    private final MLSTMShape shape;
    private final String prefix;
    private final ConvBranch conv;

    public MLSTMModule(MLSTMShape shape, String prefix) {
        this.shape = shape;
        this.prefix = prefix;
        this.conv = new ConvBranch(shape.convKernel, prefix + "convW", prefix + "convB", prefix + "conv");
    }

    @Override
    public long inputSize() {
        return shape.nIn;
    }

    @Override
    public long outputSize() {
        return shape.nOut;
    }

    private String p(String name) {
        return prefix + name;
    }

    @Override
    public List<ParamSpec> parameters() {
        long d = shape.inner;
        long blocks = d / shape.qkvBlockSize;
        long bs = shape.qkvBlockSize;
        List<ParamSpec> list = new ArrayList<>();
        list.add(ParamSpec.weight(p("upW"), OfficialInit.smallInit(shape.nIn), shape.nIn, 2 * d));
        if (shape.bias) {
            list.add(ParamSpec.bias(p("upB"), OfficialInit.constant(0), 1, 2 * d));
        }
        if (shape.convKernel > 0) {
            list.add(ParamSpec.weight(p("convW"), OfficialInit.convDefault(shape.convKernel), shape.convKernel, d));
            list.add(ParamSpec.bias(p("convB"), OfficialInit.convDefault(shape.convKernel), 1, d));
        }
        for (String name : new String[] {"q", "k", "v"}) {
            list.add(ParamSpec.weight(p(name + "W"), OfficialInit.smallInit(shape.nIn), blocks, bs, bs));
            if (shape.bias) {
                list.add(ParamSpec.bias(p(name + "B"), OfficialInit.constant(0), 1, d));
            }
        }
        list.add(ParamSpec.weight(p("igateW"), OfficialInit.constant(0), 3 * d, shape.heads));
        list.add(ParamSpec.bias(p("igateB"), OfficialInit.normal(0, 0.1), 1, shape.heads));
        list.add(ParamSpec.weight(p("fgateW"), OfficialInit.constant(0), 3 * d, shape.heads));
        list.add(ParamSpec.bias(p("fgateB"), OfficialInit.linspace(3.0, 6.0), 1, shape.heads));
        list.add(ParamSpec.weight(p("skip"), OfficialInit.constant(1), 1, d));
        list.add(ParamSpec.weight(p("normW"), OfficialInit.constant(0), 1, d));
        list.add(ParamSpec.weight(p("downW"), OfficialInit.wangInit(shape.nOut, shape.numBlocks), d, shape.nOut));
        if (shape.bias) {
            list.add(ParamSpec.bias(p("downB"), OfficialInit.constant(0), 1, shape.nOut));
        }
        return list;
    }

    /**
     * Values of one training forward that the backward pass reads. The conv branch's SiLU, q, k, v in token
     * layout, the cell output in token layout and the normalised, gated output are not kept: backward
     * recomputes them (element-wise and block-diagonal work, a few percent of the step) from these.
     */
    private static final class Cache {
        INDArray x2;
        INDArray xm;
        INDArray z;
        /** Null without a conv. */
        ConvBranch.Pass conv;
        MatrixMemoryForward cell;
        INDArray mask;
    }

    @Override
    public ModuleForward forward(Map<String, INDArray> params, INDArray x, INDArray mask, Map<String, INDArray> state,
                                 boolean forBackward) {
        long b = x.size(0);
        long t = x.size(1);
        long d = shape.inner;
        Cache c = new Cache();
        c.mask = mask;
        c.x2 = x.reshape(b * t, shape.nIn);
        Map<String, INDArray> finalState = new HashMap<>();
        INDArray y;
        try (ScratchScope scratch = forBackward ? ScratchScope.open(XlstmRecurrentLayer.BACKWARD) : ScratchScope.NONE) {
            INDArray[] up = scratch.keep(() -> Linear.forwardHalves(c.x2, params.get(p("upW")), opt(params, "upB")));
            c.xm = up[0];
            c.z = up[1];
            if (shape.convKernel > 0) {
                c.conv = scratch.keep(() -> conv.forward(params, c.xm, b, t, mask, state, finalState));
            }
            INDArray xc = convOutput(c);
            INDArray q = BlockDiagonalLinear.forward(xc, params.get(p("qW")), opt(params, "qB"));
            INDArray k = BlockDiagonalLinear.forward(xc, params.get(p("kW")), opt(params, "kB"));
            INDArray v = BlockDiagonalLinear.forward(c.xm, params.get(p("vW")), opt(params, "vB"));
            INDArray[] gates = ConcatInputLinear.forward(new INDArray[] {q, k, v}, gateWeights(params),
                    gateBiases(params));
            INDArray ig = gates[0];
            INDArray fg = gates[1];

            MatrixMemoryKernel kernel = KernelRegistry.matrixMemory();
            MatrixMemoryState initial = cellState(state);
            MatrixMemoryState cellFinal;
            INDArray hCell;
            if (t == 1 && !forBackward) {
                // Streaming: the recurrent step is O(DH^2) per token whatever the history length.
                MatrixMemoryState from = initial != null ? initial
                        : MatrixMemoryState.zeros(x.dataType(), b, shape.heads, shape.headSize());
                MatrixMemoryStep step = kernel.step(q.reshape(b, shape.heads, shape.headSize()),
                        k.reshape(b, shape.heads, shape.headSize()), v.reshape(b, shape.heads, shape.headSize()),
                        ig, fg, mask == null ? null : mask.reshape(b), from);
                hCell = step.h.reshape(b, d);
                cellFinal = step.state;
            } else {
                // The kernel's sequence views q and v in head layout (k it scales into a copy): those are kept.
                INDArray qh = scratch.keep(() -> toHeads(q, b, t));
                INDArray kh = toHeads(k, b, t);
                INDArray vh = scratch.keep(() -> toHeads(v, b, t));
                INDArray igh = gatesToHeads(ig, b, t);
                INDArray fgh = gatesToHeads(fg, b, t);
                c.cell = scratch.keep(() -> forBackward
                        ? kernel.forward(qh, kh, vh, igh, fgh, mask, initial, shape.chunkSize)
                        : kernel.inferenceForward(qh, kh, vh, igh, fgh, mask, initial, shape.chunkSize));
                hCell = HeadLayout.fromHeads(c.cell.h);
                cellFinal = c.cell.finalState;
            }
            finalState.put(p("C"), cellFinal.c);
            finalState.put(p("n"), cellFinal.n);
            finalState.put(p("m"), cellFinal.m);

            INDArray hOut = NormSkipGate.forward(hCell, xc, c.z, params.get(p("normW")), params.get(p("skip")),
                    shape.heads, NORM_EPS);
            y = scratch.keep(() -> Linear.forward(hOut, params.get(p("downW")), opt(params, "downB")));
            if (mask != null) {
                y.muliColumnVector(mask.reshape(b * t, 1));
            }
        }
        return new ModuleForward(y.reshape(b, t, shape.nOut), finalState, forBackward ? c : null);
    }

    /**
     * In stages whose temporaries die with them ({@link ScratchScope}): only the gradients passed from stage
     * to stage stay in the backward workspace until the end.
     */
    @Override
    public INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy,
                             Map<String, INDArray> grads) {
        return backward(params, forward, dy, null, grads, null);
    }

    /** Where the matrix-memory kernel takes a final-state gradient (not every CUDA build does). */
    @Override
    public boolean hasStateGradients() {
        return KernelRegistry.matrixMemory().acceptsFinalStateGradient();
    }

    @Override
    public int timeAlignment() {
        return shape.chunkSize;
    }

    /**
     * The state gradients: C and n through the kernel, the conv's window through the conv branch; the
     * stabilizer m has none.
     */
    @Override
    public INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy,
                             Map<String, INDArray> dFinalState, Map<String, INDArray> grads,
                             Map<String, INDArray> dInitialState) {
        Cache c = (Cache) forward.cache;
        long b = dy.size(0);
        long t = dy.size(1);
        INDArray maskColumn = c.mask == null ? null : c.mask.reshape(b * t, 1);
        INDArray xc = convOutput(c);
        NormSkipGate.Gradients tail;
        try (ScratchScope stage = ScratchScope.open(XlstmRecurrentLayer.BACKWARD_STAGES)) {
            INDArray dy2 = dy.reshape(b * t, shape.nOut).dup('c');
            if (maskColumn != null) {
                dy2.muliColumnVector(maskColumn);
            }
            INDArray hCell = HeadLayout.fromHeads(c.cell.h);
            INDArray hOut = NormSkipGate.forward(hCell, xc, c.z, params.get(p("normW")), params.get(p("skip")),
                    shape.heads, NORM_EPS);
            INDArray dhOut = Linear.backward(hOut, params.get(p("downW")), dy2, grads.get(p("downW")),
                    opt(grads, "downB"));
            tail = stage.keep(() -> NormSkipGate.backward(hCell, xc, c.z, params.get(p("normW")),
                    params.get(p("skip")), shape.heads, NORM_EPS, dhOut, grads.get(p("normW")), grads.get(p("skip"))));
        }
        INDArray[] dqkv;
        INDArray[] dGates;
        try (ScratchScope stage = ScratchScope.open(XlstmRecurrentLayer.BACKWARD_STAGES)) {
            MatrixMemoryGradients g = KernelRegistry.matrixMemory().backward(c.cell, toHeads(tail.dh, b, t),
                    cellStateGradient(dFinalState));
            if (dInitialState != null && g.dInitial != null) {
                dInitialState.put(p("C"), stage.keep(() -> g.dInitial.c.dup()));
                dInitialState.put(p("n"), stage.keep(() -> g.dInitial.n.dup()));
            }
            dqkv = stage.keep(() -> new INDArray[] {HeadLayout.fromHeads(g.dq), HeadLayout.fromHeads(g.dk),
                    HeadLayout.fromHeads(g.dv)});
            dGates = stage.keep(() -> new INDArray[] {fromGateHeads(g.dIgate, b, t), fromGateHeads(g.dFgate, b, t)});
        }
        try (ScratchScope stage = ScratchScope.open(XlstmRecurrentLayer.BACKWARD_STAGES)) {
            INDArray[] qkv = {
                    BlockDiagonalLinear.forward(xc, params.get(p("qW")), opt(params, "qB")),
                    BlockDiagonalLinear.forward(xc, params.get(p("kW")), opt(params, "kB")),
                    BlockDiagonalLinear.forward(c.xm, params.get(p("vW")), opt(params, "vB"))};
            ConcatInputLinear.backward(qkv, gateWeights(params), dGates,
                    new INDArray[] {grads.get(p("igateW")), grads.get(p("fgateW"))},
                    new INDArray[] {grads.get(p("igateB")), grads.get(p("fgateB"))}, dqkv);
        }
        INDArray dxc = tail.dx;
        INDArray dxm;
        try (ScratchScope stage = ScratchScope.open(XlstmRecurrentLayer.BACKWARD_STAGES)) {
            dxc.addi(BlockDiagonalLinear.backward(xc, params.get(p("qW")), dqkv[0], grads.get(p("qW")),
                    opt(grads, "qB")));
            dxc.addi(BlockDiagonalLinear.backward(xc, params.get(p("kW")), dqkv[1], grads.get(p("kW")),
                    opt(grads, "kB")));
            dxm = stage.keep(() -> BlockDiagonalLinear.backward(c.xm, params.get(p("vW")), dqkv[2], grads.get(p("vW")),
                    opt(grads, "vB")));
            if (shape.convKernel > 0) {
                Map<String, INDArray> dWindow = dInitialState == null ? null : new HashMap<>();
                dxm.addi(conv.backward(params, c.conv, dxc, dFinalState, grads, dWindow));
                if (dWindow != null) {
                    dWindow.forEach((name, gradient) -> dInitialState.put(name, stage.keep(gradient::dup)));
                }
            } else {
                dxm.addi(Activations.siluBackward(c.xm, dxc));
            }
        }
        if (maskColumn != null) {
            dxm.muliColumnVector(maskColumn);
        }
        INDArray dx2;
        try (ScratchScope stage = ScratchScope.open(XlstmRecurrentLayer.BACKWARD_STAGES)) {
            INDArray dUp = Nd4j.concat(1, dxm, tail.dz);
            dx2 = stage.keep(() -> Linear.backward(c.x2, params.get(p("upW")), dUp, grads.get(p("upW")),
                    opt(grads, "upB")));
        }
        return dx2.reshape(b, t, shape.nIn);
    }

    /** The conv branch's output silu(conv(x_m)), or silu(x_m) without a conv; a new array. */
    private INDArray convOutput(Cache c) {
        return c.conv != null ? ConvBranch.output(c.conv) : Activations.silu(c.xm);
    }

    @Override
    public SDVariable define(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        return MLSTMGraph.define(sd, shape, prefix, x, params, mask);
    }

    @Override
    public Optional<TokenStep> stepper() {
        return Optional.of(StepForms.mlstm(shape, prefix));
    }

    private MatrixMemoryState cellState(Map<String, INDArray> state) {
        if (state == null || !state.containsKey(p("C"))) {
            return null;
        }
        return new MatrixMemoryState(state.get(p("C")), state.get(p("n")), state.get(p("m")));
    }

    /** dL/dC and dL/dn of the final state in {@code dFinalState}, or null where it has none. */
    private MatrixMemoryState cellStateGradient(Map<String, INDArray> dFinalState) {
        if (dFinalState == null || !dFinalState.containsKey(p("C"))) {
            return null;
        }
        return new MatrixMemoryState(dFinalState.get(p("C")), dFinalState.get(p("n")), null);
    }

    /** The input and forget gate projections of [q, k, v], in this order. */
    private INDArray[] gateWeights(Map<String, INDArray> params) {
        return new INDArray[] {params.get(p("igateW")), params.get(p("fgateW"))};
    }

    private INDArray[] gateBiases(Map<String, INDArray> params) {
        return new INDArray[] {params.get(p("igateB")), params.get(p("fgateB"))};
    }

    private INDArray opt(Map<String, INDArray> map, String name) {
        return shape.bias ? map.get(p(name)) : null;
    }

    /** [B*T, NH*DH] to the kernel's [B, NH, T, DH]. */
    private INDArray toHeads(INDArray rows, long b, long t) {
        return HeadLayout.toHeads(rows, b, t, shape.heads, shape.headSize());
    }

    /** [B*T, NH] to [B, NH, T]. */
    private INDArray gatesToHeads(INDArray rows, long b, long t) {
        return rows.reshape(b, t, shape.heads).permute(0, 2, 1).dup('c');
    }

    private INDArray fromGateHeads(INDArray heads, long b, long t) {
        return heads.permute(0, 2, 1).dup('c').reshape(b * t, shape.heads);
    }
}
