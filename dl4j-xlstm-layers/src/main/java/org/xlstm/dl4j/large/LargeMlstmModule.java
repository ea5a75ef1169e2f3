package org.xlstm.dl4j.large;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.kernel.KernelRegistry;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryGradients;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.kernel.MatrixMemoryStep;
import org.xlstm.dl4j.ops.Activations;
import org.xlstm.dl4j.ops.GroupNorm;
import org.xlstm.dl4j.ops.HeadLayout;
import org.xlstm.dl4j.ops.Linear;
import org.xlstm.dl4j.runtime.ModuleForward;
import org.xlstm.dl4j.runtime.OfficialInit;
import org.xlstm.dl4j.runtime.ParamSpec;
import org.xlstm.dl4j.runtime.SequenceModule;

/**
 * The xLSTM-Large mLSTM layer: separate linear maps of x to q, k (qkDim), v and the output-gate
 * pre-activation (vDim), soft-capped input and forget gate pre-activations (one per head), the
 * matrix-memory cell, a per-head layer norm, the sigmoid output gate and the output projection. No
 * convolution, no up-projection.
 *
 * <p>Parameters are [in, out] (official PyTorch Linear weights transposed), biases [1, out]. The per-head
 * norm weight is stored as an offset from 1 ({@link GroupNorm}'s convention), its bias separately.
 */
final class LargeMlstmModule implements SequenceModule {
    static final String[] INPUT_MAPS = {"q", "k", "v", "o", "i", "f"};

    private final LargeMlstmShape shape;
    private final String prefix;

    LargeMlstmModule(LargeMlstmShape shape, String prefix) {
        this.shape = shape;
        this.prefix = prefix;
    }

    String p(String name) {
        return prefix + name;
    }

    @Override
    public long inputSize() {
        return shape.embeddingDim;
    }

    @Override
    public long outputSize() {
        return shape.embeddingDim;
    }

    /** Output features of each input map, in {@link #INPUT_MAPS} order. */
    private long mapSize(String map) {
        switch (map) {
            case "q":
            case "k":
                return shape.qkDim;
            case "v":
            case "o":
                return shape.vDim;
            default:
                return shape.heads;
        }
    }

    /** The gate maps always have a bias (the official layer hard-codes it); the others only with use_bias. */
    private boolean hasBias(String map) {
        return shape.bias || map.equals("i") || map.equals("f");
    }

    @Override
    public List<ParamSpec> parameters() {
        long e = shape.embeddingDim;
        List<ParamSpec> list = new ArrayList<>();
        for (String map : INPUT_MAPS) {
            boolean gate = map.equals("i") || map.equals("f");
            list.add(ParamSpec.weight(p(map + "W"), gate ? OfficialInit.constant(0) : OfficialInit.smallInit(e),
                    e, mapSize(map)));
            if (hasBias(map)) {
                list.add(ParamSpec.bias(p(map + "B"), map.equals("f") ? OfficialInit.linspace(3.0, 6.0)
                        : OfficialInit.constant(0), 1, mapSize(map)));
            }
        }
        list.add(ParamSpec.weight(p("normW"), OfficialInit.constant(0), 1, shape.vDim));
        if (shape.bias) {
            list.add(ParamSpec.bias(p("normB"), OfficialInit.constant(0), 1, shape.vDim));
        }
        list.add(ParamSpec.weight(p("outW"), OfficialInit.smallInit(shape.vDim), shape.vDim, e));
        if (shape.bias) {
            list.add(ParamSpec.bias(p("outB"), OfficialInit.constant(0), 1, e));
        }
        return list;
    }

    /** Values of one forward pass that the backward pass reuses. */
    private static final class Cache {
        INDArray x2;
        INDArray outputGate;
        INDArray igateRaw;
        INDArray fgateRaw;
        MatrixMemoryForward cell;
        INDArray hCell;
        INDArray hNorm;
        INDArray hOut;
        INDArray mask;
    }

    @Override
    public ModuleForward forward(Map<String, INDArray> params, INDArray x, INDArray mask, Map<String, INDArray> state,
                                 boolean forBackward) {
        long b = x.size(0);
        long t = x.size(1);
        Cache c = new Cache();
        c.mask = mask;
        c.x2 = x.reshape(b * t, shape.embeddingDim);
        INDArray q = map(params, c.x2, "q");
        INDArray k = map(params, c.x2, "k");
        INDArray v = map(params, c.x2, "v");
        c.outputGate = Activations.sigmoid(map(params, c.x2, "o"));
        c.igateRaw = map(params, c.x2, "i");
        c.fgateRaw = map(params, c.x2, "f");
        INDArray ig = SoftCap.forward(c.igateRaw, shape.gateSoftCap);
        INDArray fg = SoftCap.forward(c.fgateRaw, shape.gateSoftCap);

        MatrixMemoryKernel kernel = KernelRegistry.matrixMemory();
        long dh = shape.kernelHeadDim();
        MatrixMemoryState initial = cellState(state);
        MatrixMemoryState cellFinal;
        if (t == 1 && !forBackward) {
            // Streaming: the recurrent step is O(DH^2) per token whatever the history length.
            MatrixMemoryState from = initial != null ? initial
                    : MatrixMemoryState.zeros(x.dataType(), b, shape.heads, dh);
            MatrixMemoryStep step = kernel.step(
                    HeadPadding.pad(q.reshape(b, shape.heads, shape.qkHeadDim()), dh).mul(shape.queryScale()),
                    HeadPadding.pad(k.reshape(b, shape.heads, shape.qkHeadDim()), dh),
                    HeadPadding.pad(v.reshape(b, shape.heads, shape.vHeadDim()), dh),
                    ig, fg, mask == null ? null : mask.reshape(b), from);
            c.hCell = HeadPadding.crop(step.h, shape.vHeadDim()).dup('c').reshape(b, shape.vDim);
            cellFinal = step.state;
        } else {
            INDArray qh = toKernelHeads(q, b, t, shape.qkHeadDim()).muli(shape.queryScale());
            INDArray kh = toKernelHeads(k, b, t, shape.qkHeadDim());
            INDArray vh = toKernelHeads(v, b, t, shape.vHeadDim());
            INDArray ih = gatesToHeads(ig, b, t);
            INDArray fh = gatesToHeads(fg, b, t);
            c.cell = forBackward ? kernel.forward(qh, kh, vh, ih, fh, mask, initial, shape.chunkSize)
                    : kernel.inferenceForward(qh, kh, vh, ih, fh, mask, initial, shape.chunkSize);
            c.hCell = HeadLayout.fromHeads(HeadPadding.crop(c.cell.h, shape.vHeadDim()));
            cellFinal = c.cell.finalState;
        }
        Map<String, INDArray> finalState = new HashMap<>();
        finalState.put(p("C"), cellFinal.c);
        finalState.put(p("n"), cellFinal.n);
        finalState.put(p("m"), cellFinal.m);

        c.hNorm = GroupNorm.forward(c.hCell, params.get(p("normW")), shape.heads, shape.normEps);
        if (shape.bias) {
            c.hNorm.addiRowVector(params.get(p("normB")));
        }
        c.hOut = c.hNorm.mul(c.outputGate);
        INDArray y = Linear.forward(c.hOut, params.get(p("outW")), opt(params, "outB"));
        if (mask != null) {
            y.muliColumnVector(mask.reshape(b * t, 1));
        }
        return new ModuleForward(y.reshape(b, t, shape.embeddingDim), finalState, forBackward ? c : null);
    }

    @Override
    public INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy,
                             Map<String, INDArray> grads) {
        Cache c = (Cache) forward.cache;
        long b = dy.size(0);
        long t = dy.size(1);
        INDArray dy2 = dy.reshape(b * t, shape.embeddingDim).dup('c');
        if (c.mask != null) {
            dy2.muliColumnVector(c.mask.reshape(b * t, 1));
        }
        INDArray dhOut = Linear.backward(c.hOut, params.get(p("outW")), dy2, grads.get(p("outW")),
                opt(grads, "outB"));
        INDArray dGate = dhOut.mul(c.hNorm).muli(c.outputGate).muli(c.outputGate.rsub(1.0));
        INDArray dhNorm = dhOut.muli(c.outputGate);
        if (shape.bias) {
            grads.get(p("normB")).assign(dhNorm.sum(0).reshape(1, shape.vDim));
        }
        INDArray dhCell = GroupNorm.backward(c.hCell, params.get(p("normW")), shape.heads, shape.normEps, dhNorm,
                grads.get(p("normW")));

        MatrixMemoryGradients g = KernelRegistry.matrixMemory().backward(c.cell,
                toKernelHeads(dhCell, b, t, shape.vHeadDim()));
        Map<String, INDArray> dMaps = new HashMap<>();
        dMaps.put("q", HeadLayout.fromHeads(HeadPadding.crop(g.dq, shape.qkHeadDim())).muli(shape.queryScale()));
        dMaps.put("k", HeadLayout.fromHeads(HeadPadding.crop(g.dk, shape.qkHeadDim())));
        dMaps.put("v", HeadLayout.fromHeads(HeadPadding.crop(g.dv, shape.vHeadDim())));
        dMaps.put("o", dGate);
        dMaps.put("i", SoftCap.backward(c.igateRaw, shape.gateSoftCap, fromGateHeads(g.dIgate, b, t)));
        dMaps.put("f", SoftCap.backward(c.fgateRaw, shape.gateSoftCap, fromGateHeads(g.dFgate, b, t)));
        INDArray dx2 = null;
        for (String map : INPUT_MAPS) {
            INDArray dx = Linear.backward(c.x2, params.get(p(map + "W")), dMaps.get(map), grads.get(p(map + "W")),
                    hasBias(map) ? grads.get(p(map + "B")) : null);
            dx2 = dx2 == null ? dx : dx2.addi(dx);
        }
        return dx2.reshape(b, t, shape.embeddingDim);
    }

    @Override
    public SDVariable define(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        throw new UnsupportedOperationException("The xLSTM-Large layers have no SameDiff form; their reference is"
                + " the official implementation's conformance vectors");
    }

    private INDArray map(Map<String, INDArray> params, INDArray x2, String map) {
        return Linear.forward(x2, params.get(p(map + "W")), hasBias(map) ? params.get(p(map + "B")) : null);
    }

    private MatrixMemoryState cellState(Map<String, INDArray> state) {
        if (state == null || !state.containsKey(p("C"))) {
            return null;
        }
        return new MatrixMemoryState(state.get(p("C")), state.get(p("n")), state.get(p("m")));
    }

    private INDArray opt(Map<String, INDArray> map, String name) {
        return shape.bias ? map.get(p(name)) : null;
    }

    /** [B*T, NH*d] to the kernel's [B, NH, T, kernel head size], zero-padded. */
    private INDArray toKernelHeads(INDArray rows, long b, long t, long headDim) {
        return HeadPadding.pad(HeadLayout.toHeads(rows, b, t, shape.heads, headDim), shape.kernelHeadDim());
    }

    /** [B*T, NH] to [B, NH, T]. */
    private INDArray gatesToHeads(INDArray rows, long b, long t) {
        return rows.reshape(b, t, shape.heads).permute(0, 2, 1).dup('c');
    }

    private INDArray fromGateHeads(INDArray heads, long b, long t) {
        return heads.permute(0, 2, 1).dup('c').reshape(b * t, shape.heads);
    }
}
