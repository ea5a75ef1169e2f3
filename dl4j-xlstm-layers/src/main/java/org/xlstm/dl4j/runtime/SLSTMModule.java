package org.xlstm.dl4j.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.xlstm.dl4j.kernel.KernelRegistry;
import org.xlstm.dl4j.kernel.ScalarMemoryForward;
import org.xlstm.dl4j.kernel.ScalarMemoryGradients;
import org.xlstm.dl4j.kernel.ScalarMemoryState;
import org.xlstm.dl4j.kernel.ScalarMemoryStep;
import org.xlstm.dl4j.ops.Activations;
import org.xlstm.dl4j.ops.BlockDiagonalLinear;
import org.xlstm.dl4j.ops.GroupNorm;
import org.xlstm.dl4j.ops.Linear;
import org.xlstm.dl4j.backend.cpu.step.ScalarMemorySequence;
import org.xlstm.dl4j.backend.cpu.step.StepForms;
import org.xlstm.dl4j.backend.cpu.step.TokenStep;

/**
 * The sLSTM layer of xLSTM: optional causal conv + SiLU feeding the input and forget gates, the z and o
 * gates from the raw input, the scalar-memory cell with block-diagonal recurrence, per-head norm.
 * All input projections are batched over time; only the recurrence runs step by step (in the kernel).
 */
public final class SLSTMModule implements SequenceModule {
    /** Gate order in the pre-activations and bias, as the official cell. */
    private static final String[] GATES = {"i", "f", "z", "o"};

    private final SLSTMShape shape;
    private final ConvBranch conv;

    public SLSTMModule(SLSTMShape shape) {
        this.shape = shape;
        this.conv = new ConvBranch(shape.convKernel, "convW", "convB", "conv");
    }

    @Override
    public long inputSize() {
        return shape.nIn;
    }

    @Override
    public long outputSize() {
        return shape.hidden;
    }

    @Override
    public List<ParamSpec> parameters() {
        long d = shape.hidden;
        long dh = shape.headSize();
        List<ParamSpec> list = new ArrayList<>();
        if (shape.convKernel > 0) {
            list.add(ParamSpec.weight("convW", OfficialInit.convDefault(shape.convKernel), shape.convKernel, shape.nIn));
            list.add(ParamSpec.bias("convB", OfficialInit.convDefault(shape.convKernel), 1, shape.nIn));
        }
        for (String gate : GATES) {
            long[] wShape = shape.headwise ? new long[] {shape.heads, dh, dh} : new long[] {shape.nIn, d};
            list.add(ParamSpec.weight(gate + "W", OfficialInit.smallInit(shape.nIn), wShape));
        }
        list.add(ParamSpec.weight("R", OfficialInit.constant(0), shape.heads, dh, 4, dh));
        list.add(ParamSpec.bias("b", view -> shape.biasInit.initialize(view, shape.heads, dh, shape.blockIndex,
                shape.numBlocks), 1, 4 * d));
        list.add(ParamSpec.weight("gnW", OfficialInit.constant(0), 1, d));
        return list;
    }

    private static final class Cache {
        INDArray x2;
        ConvBranch.Pass conv;
        INDArray xc;
        ScalarMemoryForward cell;
        INDArray h2;
        INDArray mask;
    }

    @Override
    public ModuleForward forward(Map<String, INDArray> params, INDArray x, INDArray mask, Map<String, INDArray> state,
                                 boolean forBackward) {
        long b = x.size(0);
        long t = x.size(1);
        long d = shape.hidden;
        Cache c = new Cache();
        c.mask = mask;
        c.x2 = x.reshape(b * t, shape.nIn);
        INDArray maskColumn = mask == null ? null : mask.reshape(b * t, 1);
        Map<String, INDArray> finalState = new HashMap<>();
        if (shape.convKernel > 0) {
            c.conv = conv.forward(params, c.x2, b, t, mask, state, finalState);
            c.xc = ConvBranch.output(c.conv);
        } else {
            c.xc = c.x2;
        }
        INDArray[] gatePre = {project(c.xc, params.get("iW")), project(c.xc, params.get("fW")),
                project(c.x2, params.get("zW")), project(c.x2, params.get("oW"))};
        INDArray preact = Nd4j.createUninitialized(x.dataType(), b, t, shape.heads, 4, shape.headSize());
        for (int g = 0; g < 4; g++) {
            preact.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(g),
                    NDArrayIndex.all()).assign(gatePre[g].reshape(b, t, shape.heads, shape.headSize()));
        }
        preact.addi(params.get("b").reshape(1, 1, shape.heads, 4, shape.headSize()));

        INDArray recurrent = params.get("R");
        ScalarMemoryState initial = cellState(state);
        ScalarMemoryState cellFinal;
        if (t == 1 && !forBackward) {
            ScalarMemoryState from = initial != null ? initial : ScalarMemoryState.zeros(x.dataType(), b, d);
            ScalarMemoryStep step = KernelRegistry.scalarMemory().step(
                    preact.reshape(b, shape.heads, 4, shape.headSize()), recurrent,
                    mask == null ? null : mask.reshape(b), from);
            c.h2 = step.h.reshape(b, d);
            cellFinal = step.state;
        } else if (!forBackward && x.dataType() == DataType.FLOAT && KernelRegistry.runsStepForms()) {
            // The general kernel's ND4J ops per step leave native garbage until the collector runs (about
            // 100 MB over 200,000 steps): an inference forward on the CPU runs the recurrence on host arrays.
            ScalarMemoryForward run = ScalarMemorySequence.forward(preact, recurrent, mask, initial);
            c.h2 = run.h.reshape(b * t, d);
            cellFinal = run.finalState;
        } else {
            c.cell = KernelRegistry.scalarMemory().forward(preact, recurrent, mask, initial);
            c.h2 = c.cell.h.reshape(b * t, d);
            cellFinal = c.cell.finalState;
        }
        finalState.put("h", cellFinal.h);
        finalState.put("c", cellFinal.c);
        finalState.put("n", cellFinal.n);
        finalState.put("m", cellFinal.m);
        INDArray y = GroupNorm.forward(c.h2, params.get("gnW"), shape.heads, MLSTMModule.NORM_EPS);
        if (maskColumn != null) {
            y.muliColumnVector(maskColumn);
        }
        return new ModuleForward(y.reshape(b, t, d), finalState, forBackward ? c : null);
    }

    @Override
    public INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy,
                             Map<String, INDArray> grads) {
        Cache c = (Cache) forward.cache;
        long b = dy.size(0);
        long t = dy.size(1);
        long d = shape.hidden;
        INDArray dy2 = dy.reshape(b * t, d).dup('c');
        INDArray maskColumn = c.mask == null ? null : c.mask.reshape(b * t, 1);
        if (maskColumn != null) {
            dy2.muliColumnVector(maskColumn);
        }
        INDArray dh = GroupNorm.backward(c.h2, params.get("gnW"), shape.heads, MLSTMModule.NORM_EPS, dy2,
                grads.get("gnW"));
        ScalarMemoryGradients g = KernelRegistry.scalarMemory().backward(c.cell, dh.reshape(b, t, d));
        grads.get("R").assign(g.dRecurrent);
        grads.get("b").assign(g.dPreact.sum(0, 1).reshape(1, 4 * d));
        INDArray[] dGate = new INDArray[4];
        for (int gate = 0; gate < 4; gate++) {
            dGate[gate] = g.dPreact.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.point(gate), NDArrayIndex.all()).dup('c').reshape(b * t, d);
        }
        INDArray dxc = projectBackward(c.xc, params.get("iW"), dGate[0], grads.get("iW"));
        dxc.addi(projectBackward(c.xc, params.get("fW"), dGate[1], grads.get("fW")));
        INDArray dx2 = projectBackward(c.x2, params.get("zW"), dGate[2], grads.get("zW"));
        dx2.addi(projectBackward(c.x2, params.get("oW"), dGate[3], grads.get("oW")));
        if (shape.convKernel > 0) {
            dx2.addi(conv.backward(params, c.conv, dxc, grads));
        } else {
            dx2.addi(dxc);
        }
        return dx2.reshape(b, t, shape.nIn);
    }

    @Override
    public SDVariable define(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        return SLSTMGraph.define(sd, shape, x, params, mask);
    }

    @Override
    public Optional<TokenStep> stepper() {
        return Optional.of(StepForms.slstm(shape));
    }

    private INDArray project(INDArray rows, INDArray w) {
        return shape.headwise ? BlockDiagonalLinear.forward(rows, w, null) : Linear.forward(rows, w, null);
    }

    private INDArray projectBackward(INDArray rows, INDArray w, INDArray dOut, INDArray dW) {
        return shape.headwise ? BlockDiagonalLinear.backward(rows, w, dOut, dW, null)
                : Linear.backward(rows, w, dOut, dW, null);
    }

    private static ScalarMemoryState cellState(Map<String, INDArray> state) {
        if (state == null || !state.containsKey("h")) {
            return null;
        }
        return new ScalarMemoryState(state.get("h"), state.get("c"), state.get("n"), state.get("m"));
    }
}
