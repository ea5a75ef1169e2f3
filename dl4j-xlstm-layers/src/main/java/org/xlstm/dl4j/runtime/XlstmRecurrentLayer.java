package org.xlstm.dl4j.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.AbstractLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.xlstm.dl4j.conf.XlstmLayerConfig;
import org.xlstm.dl4j.backend.cpu.step.StepRunner;
import org.xlstm.dl4j.kernel.KernelRegistry;

/**
 * The DL4J runtime shared by every xLSTM layer: parameter and gradient views, the recurrent contract
 * (rnnTimeStep, stored state, truncated BPTT), masks, data formats and types, and workspace placement.
 * The math lives in the configuration's {@link SequenceModule}.
 *
 * <p>Module computations run in this runtime's own workspaces, never in DL4J's: a training forward in the
 * layer's {@link TrainingForwardWorkspace}, where the values it keeps for backprop stay valid whatever DL4J
 * does with its workspaces in between; inference forwards and backward passes, whose temporaries all die
 * with the call, in shared {@link ComputeWorkspace}s. Only the output, the input gradient and the
 * recurrent state leave them, copied into the workspaces DL4J expects them in (or detached). A training forward
 * longer than a piece of time, where the module allows, runs as an inference forward instead and keeps only
 * the state each piece starts from; its backprop recomputes one piece at a time ({@link PiecedTraining}).
 *
 * <p>rnnTimeStep with one unmasked float32 time step on the CPU backend takes the module's step form
 * ({@link org.xlstm.dl4j.backend.cpu.step.TokenStep}), which computes the same numbers without the per-op
 * overhead of the sequence code; {@code xlstm.backend=reference} runs it through the sequence path.
 */
public class XlstmRecurrentLayer extends AbstractLayer<XlstmLayerConfig> implements RecurrentLayer {

    private static final ComputeWorkspace INFERENCE = new ComputeWorkspace("XLSTM_INFERENCE");
    /** Also the scratch of training forwards ({@link ScratchScope}). */
    static final ComputeWorkspace BACKWARD = new ComputeWorkspace("XLSTM_BACKWARD");
    /** The temporaries of one stage of a backward pass ({@link ScratchScope}), nested in {@link #BACKWARD}. */
    static final ComputeWorkspace BACKWARD_STAGES = new ComputeWorkspace("XLSTM_BACKWARD_STAGES");

    private final SequenceModule module;
    private final ChunkedInference inference;
    /** The step form, created on the first step that can use it; null before, or where there is none. */
    private StepRunner stepRunner;
    private boolean stepRunnerResolved;
    private INDArray paramsFlat;
    private INDArray gradientsFlat;
    private Map<String, INDArray> params;
    private Map<String, INDArray> gradientViews;

    /** State carried by rnnTimeStep and used as the initial state of rnnActivateUsingStoredState. */
    private Map<String, INDArray> previousState;
    /** rnnTimeStep calls so far, and the state before the last one: what a failed network step goes back to. */
    private long stepsTaken;
    private Map<String, INDArray> stateBeforeStep;
    /** State at the end of the last TBPTT segment. */
    private Map<String, INDArray> tbpttState;

    /** Where the training forward's values live until backprop; taken on the first training forward. */
    private TrainingForwardWorkspace trainingWorkspace;
    /** The last training forward pass, kept for backprop, and the inputs it was computed from. */
    private ModuleForward lastForward;
    private INDArray lastForwardInput;
    private Map<String, INDArray> lastInitialState;
    /** Training in pieces of time; created on the first training forward. */
    private PiecedTraining pieced;
    /** Of the last training forward, if it ran in pieces (else null): the state each piece started from. */
    private List<Map<String, INDArray>> lastPieceStates;
    private long lastPieceSteps;

    public XlstmRecurrentLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
        this.module = layerConf().module();
        this.inference = new ChunkedInference(module, INFERENCE);
    }

    // ---------------------------------------------------------------- forward

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        return forward(training, null, false, workspaceMgr);
    }

    @Override
    public INDArray rnnActivateUsingStoredState(INDArray input, boolean training, boolean storeLastForTBPTT,
                                                LayerWorkspaceMgr workspaceMgr) {
        setInput(input, workspaceMgr);
        sharePreviousState();
        return forward(training, previousState, storeLastForTBPTT, workspaceMgr);
    }

    @Override
    public INDArray rnnTimeStep(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        stepsTaken++;
        stateBeforeStep = previousState;
        TimeStepJournal.stepping(this, paramsFlat, stepsTaken);
        try {
            return step(input, workspaceMgr);
        } catch (RuntimeException | Error e) {
            // This layer's state is still the one before the step; the layers stepped before it in this
            // network's pass go back too, so the failed call leaves the whole stream as it was.
            TimeStepJournal.rollBackPass();
            throw e;
        }
    }

    private INDArray step(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        // The input is used only during this call, so it is not kept (setInput would move it into DL4J's INPUT
        // workspace, which a ComputationGraph's rnnTimeStep does not always have open: ND4JWorkspaceException).
        StepRunner fast = maskArray == null ? stepRunner() : null;
        boolean stepped;
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            stepped = fast != null && fast.step(params, input, previousState);
        }
        if (stepped) {
            if (!fast.outputIsFinite()) {
                throw nonFiniteOutput();
            }
            previousState = fast.state();
            // Created where DL4J wants the activations (its layer workspace, or detached for the network's output)
            // rather than copied there: every INDArray costs ND4J native allocations, freed only after a GC.
            NativeHeap.afterStep();
            return fast.writeOutput(workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT,
                    fast.outputShape()));
        }
        Pair<INDArray, Map<String, INDArray>> result = infer(input, previousState, workspaceMgr);
        previousState = result.getSecond();
        return result.getFirst();
    }

    /**
     * Back to the state before step number {@code step}, unless the layer has stepped since. Neither path writes
     * the arrays of the state it starts from (the step form is double-buffered), so that state is still intact.
     */
    void undoStep(long step) {
        if (step == stepsTaken) {
            previousState = stateBeforeStep;
        }
    }

    /** The step form when it applies to this layer now (see class comment), else null. */
    private StepRunner stepRunner() {
        if (dataType != DataType.FLOAT || !KernelRegistry.runsStepForms()) {
            return null;
        }
        if (!stepRunnerResolved) {
            stepRunner = module.stepper().map(step -> new StepRunner(step, module.inputSize(), module.outputSize(),
                    layerConf().getDataFormat())).orElse(null);
            stepRunnerResolved = true;
        }
        return stepRunner;
    }

    /** The stored state is about to be seen outside rnnTimeStep: the step form must not write it in place. */
    private void sharePreviousState() {
        if (stepRunner != null) {
            stepRunner.share();
        }
    }

    private INDArray forward(boolean training, Map<String, INDArray> initialState, boolean storeLastForTBPTT,
                             LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        applyDropOutIfNecessary(training, workspaceMgr);
        if (!training) {
            Pair<INDArray, Map<String, INDArray>> result = infer(input, initialState, workspaceMgr);
            if (storeLastForTBPTT) {
                tbpttState = result.getSecond();
            }
            return result.getFirst();
        }
        lastPieceStates = null;
        long pieceSteps = pieced().pieceSteps(SequenceLayout.batchAndTime(layerConf(),
                SequenceLayout.checkedInput(layerConf(), input))[1]);
        if (pieceSteps > 0) {
            // Only the state each piece starts from is kept; backprop recomputes a piece at a time.
            List<Map<String, INDArray>> pieceStates = new ArrayList<>();
            Pair<INDArray, Map<String, INDArray>> result = infer(input, initialState, workspaceMgr, pieceSteps,
                    pieceStates);
            if (storeLastForTBPTT) {
                tbpttState = result.getSecond();
            }
            lastForward = null;
            lastPieceStates = pieceStates;
            lastPieceSteps = pieceSteps;
            lastForwardInput = input;
            lastInitialState = initialState;
            return result.getFirst();
        }
        INDArray output;
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            List<Object> callKind = List.of(Arrays.toString(input.shape()), input.dataType(),
                    maskArray == null ? "" : Arrays.toString(maskArray.shape()), initialState != null);
            lastForward = trainingWorkspace().run(callKind, () -> moduleForward(initialState, true, storeLastForTBPTT));
            output = escapeActivations(requireFinite(lastForward.output), workspaceMgr);
        }
        lastForwardInput = input;
        lastInitialState = initialState;
        return output;
    }

    /**
     * An inference forward in time slices that fit the workspace budget ({@link ChunkedInference}): the output,
     * in the workspace DL4J expects activations in, and the state after the last step.
     */
    private Pair<INDArray, Map<String, INDArray>> infer(INDArray layerInput, Map<String, INDArray> initialState,
                                                        LayerWorkspaceMgr workspaceMgr) {
        return infer(layerInput, initialState, workspaceMgr, Long.MAX_VALUE, null);
    }

    /**
     * As {@link #infer(INDArray, Map, LayerWorkspaceMgr)}, in pieces of {@code pieceSteps} steps, recording the
     * state each piece starts from in {@code pieceStates} (unless null): the forward of {@link PiecedTraining}.
     */
    private Pair<INDArray, Map<String, INDArray>> infer(INDArray layerInput, Map<String, INDArray> initialState,
                                                        LayerWorkspaceMgr workspaceMgr, long pieceSteps,
                                                        List<Map<String, INDArray>> pieceStates) {
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            // Converted to the module layout a slice at a time, in the slice's workspace: a whole copy would be
            // another B x T x nIn array outside workspaces, held until the garbage collector frees it.
            INDArray checked = SequenceLayout.checkedInput(layerConf(), layerInput);
            long[] bt = SequenceLayout.batchAndTime(layerConf(), checked);
            INDArray output = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType,
                    SequenceLayout.layerShape(layerConf(), bt[0], bt[1], module.outputSize()), 'c');
            INDArray mask = moduleMask(bt[0], bt[1]);
            Map<String, INDArray> state = initialState;
            for (long start = 0; start < bt[1]; start += pieceSteps) {
                long from = start;
                long end = Math.min(bt[1], start + pieceSteps);
                if (pieceStates != null) {
                    pieceStates.add(state);
                }
                state = inference.forward(params, bt[0], end - start,
                        (first, last) -> SequenceLayout.moduleSlice(layerConf(), checked, from + first, from + last,
                                dataType),
                        PiecedTraining.maskPiece(mask, start, end), state,
                        (first, slice) -> SequenceLayout.writeInLayerFormat(layerConf(), slice,
                                SequenceLayout.timeSlice(layerConf(), output, from + first,
                                        from + first + slice.size(1))));
            }
            return new Pair<>(requireFinite(output), state);
        }
    }

    private PiecedTraining pieced() {
        if (pieced == null) {
            pieced = new PiecedTraining(layerConf(), module,
                    flat -> layerConf().initializer().getGradientsFromFlattened(conf(), flat));
        }
        return pieced;
    }

    private TrainingForwardWorkspace trainingWorkspace() {
        if (trainingWorkspace == null) {
            trainingWorkspace = new TrainingForwardWorkspace(this);
        }
        return trainingWorkspace;
    }

    private ModuleForward moduleForward(Map<String, INDArray> initialState, boolean forBackward,
                                        boolean storeLastForTBPTT) {
        INDArray x = SequenceLayout.toModuleLayout(layerConf(), input, dataType);
        ModuleForward result = module.forward(params, x, moduleMask(x.size(0), x.size(1)), initialState,
                forBackward);
        if (storeLastForTBPTT) {
            tbpttState = detached(result.finalState);
        }
        return result;
    }

    /**
     * The input was checked finite on the way in, so a non-finite output comes from this layer's parameters or
     * an overflow: reported here, naming them, rather than as the next layer's "input contains NaN".
     */
    private INDArray requireFinite(INDArray output) {
        if (NonFinite.any(output)) {
            throw nonFiniteOutput();
        }
        return output;
    }

    private IllegalStateException nonFiniteOutput() {
        return NonFinite.outputError(layerConf().describe(), params);
    }

    /** The module output in the layer's format, copied out of the compute workspace the caller is in. */
    private INDArray escapeActivations(INDArray moduleOutput, LayerWorkspaceMgr workspaceMgr) {
        return inLayerFormat(ArrayType.ACTIVATIONS, moduleOutput, workspaceMgr);
    }

    /** One copy of a module's [B, T, F] array, in the layer's format, where DL4J keeps arrays of this type. */
    private INDArray inLayerFormat(ArrayType type, INDArray moduleArray, LayerWorkspaceMgr workspaceMgr) {
        INDArray target;
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            target = workspaceMgr.createUninitialized(type, moduleArray.dataType(),
                    SequenceLayout.layerShape(layerConf(), moduleArray), 'c');
        }
        SequenceLayout.writeInLayerFormat(layerConf(), moduleArray, target);
        return target;
    }

    private INDArray moduleMask(long batch, long time) {
        return SequenceLayout.validateMask(layerConf(), maskArray, batch, time, dataType);
    }

    // ---------------------------------------------------------------- backward

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        INDArray placed = lastPieceStates != null && lastForwardInput == input ? piecedBackward(epsilon, workspaceMgr)
                : wholeBackward(epsilon, workspaceMgr);
        lastForward = null;
        lastForwardInput = null;
        lastPieceStates = null;

        Gradient gradient = new DefaultGradient(gradientsFlat);
        for (String name : params.keySet()) {
            gradient.setGradientFor(name, gradientViews.get(name));
        }
        return new Pair<>(gradient, backpropDropOutIfPresent(placed));
    }

    /** The backward over the whole sequence at once: the input gradient. */
    private INDArray wholeBackward(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
             MemoryWorkspace scratch = BACKWARD.enter()) {
            ModuleForward forward = lastForward;
            if (forward == null || lastForwardInput != input) {
                // Backprop without a matching training forward (e.g. after an inference call): recompute
                // from the same initial state the caller's forward pass used.
                forward = moduleForward(lastInitialState, true, false);
            }
            INDArray dy = SequenceLayout.toModuleLayout(layerConf(), epsilon, dataType, module.outputSize(), "epsilon");
            INDArray dx = module.backward(params, forward, dy, gradientViews);
            return inLayerFormat(ArrayType.ACTIVATION_GRAD, dx, workspaceMgr);
        }
    }

    /** The backward of a training forward that ran in pieces ({@link PiecedTraining}): the input gradient. */
    private INDArray piecedBackward(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray checked = SequenceLayout.checkedInput(layerConf(), input);
            long[] bt = SequenceLayout.batchAndTime(layerConf(), checked);
            INDArray dy = SequenceLayout.checked(layerConf(), epsilon, module.outputSize(), "epsilon");
            INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType,
                    SequenceLayout.layerShape(layerConf(), bt[0], bt[1], module.inputSize()), 'c');
            pieced().backward(params, checked, dy, moduleMask(bt[0], bt[1]), bt[1], lastPieceSteps, lastPieceStates,
                    dataType, gradientViews, gradientsFlat, dx);
            return dx;
        }
    }

    @Override
    public Pair<Gradient, INDArray> tbpttBackpropGradient(INDArray epsilon, int tbpttBackLength,
                                                          LayerWorkspaceMgr workspaceMgr) {
        // The whole segment is differentiated: there is no cheaper partial backward for these cells.
        return backpropGradient(epsilon, workspaceMgr);
    }

    // ---------------------------------------------------------------- recurrent state

    @Override
    public Map<String, INDArray> rnnGetPreviousState() {
        sharePreviousState();
        return previousState == null ? Collections.emptyMap() : new HashMap<>(previousState);
    }

    @Override
    public void rnnSetPreviousState(Map<String, INDArray> stateMap) {
        previousState = stateMap == null || stateMap.isEmpty() ? null : detached(stateMap);
    }

    @Override
    public void rnnClearPreviousState() {
        previousState = null;
        tbpttState = null;
    }

    @Override
    public Map<String, INDArray> rnnGetTBPTTState() {
        return tbpttState == null ? Collections.emptyMap() : new HashMap<>(tbpttState);
    }

    @Override
    public void rnnSetTBPTTState(Map<String, INDArray> state) {
        tbpttState = state == null || state.isEmpty() ? null : detached(state);
    }

    static Map<String, INDArray> detached(Map<String, INDArray> state) {
        Map<String, INDArray> copy = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : state.entrySet()) {
            copy.put(e.getKey(), e.getValue().detach());
        }
        return copy;
    }

    // ---------------------------------------------------------------- parameters

    @Override
    public Type type() {
        return Type.RECURRENT;
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public void clearNoiseWeightParams() {
        // No weight noise support.
    }

    @Override
    public Layer clone() {
        throw new UnsupportedOperationException(
                "Layer.clone() is not supported; clone the network (MultiLayerNetwork/ComputationGraph.clone())");
    }

    @Override
    public INDArray params() {
        return paramsFlat;
    }

    @Override
    public long numParams() {
        return paramsFlat == null ? 0 : paramsFlat.length();
    }

    @Override
    public INDArray getParam(String param) {
        return params.get(param);
    }

    @Override
    public void setParam(String key, INDArray val) {
        INDArray target = params.get(key);
        if (target == null) {
            throw new IllegalArgumentException(layerConf().describe() + ": unknown parameter '" + key
                    + "'; parameters are " + params.keySet());
        }
        if (!java.util.Arrays.equals(target.shape(), val.shape())) {
            throw new IllegalArgumentException(layerConf().describe() + ": parameter '" + key + "' expects shape "
                    + java.util.Arrays.toString(target.shape()) + " but got " + java.util.Arrays.toString(val.shape()));
        }
        target.assign(val);
    }

    @Override
    public void setParams(INDArray params) {
        if (params == paramsFlat) {
            return;
        }
        if (params.length() != paramsFlat.length()) {
            throw new IllegalArgumentException(layerConf().describe() + ": expected " + paramsFlat.length()
                    + " parameters but got " + params.length());
        }
        paramsFlat.assign(params.reshape(paramsFlat.shape()));
    }

    @Override
    public void setParamsViewArray(INDArray params) {
        this.paramsFlat = params;
    }

    @Override
    public INDArray getGradientsViewArray() {
        return gradientsFlat;
    }

    @Override
    public void setBackpropGradientsViewArray(INDArray gradients) {
        this.gradientsFlat = gradients;
        this.gradientViews = layerConf().initializer().getGradientsFromFlattened(conf(), gradients);
    }

    @Override
    public void setParamTable(Map<String, INDArray> paramTable) {
        if (this.params == null) {
            this.params = paramTable;
        } else {
            for (Map.Entry<String, INDArray> e : paramTable.entrySet()) {
                setParam(e.getKey(), e.getValue());
            }
        }
    }

    @Override
    public Map<String, INDArray> paramTable() {
        return params;
    }

    @Override
    public Map<String, INDArray> paramTable(boolean backpropParamsOnly) {
        return params;
    }

    @Override
    public double calcRegularizationScore(boolean backpropParamsOnly) {
        double score = 0.0;
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            java.util.List<Regularization> regs = layerConf().getRegularizationByParam(e.getKey());
            if (regs != null) {
                for (Regularization r : regs) {
                    score += r.score(e.getValue(), getIterationCount(), getEpochCount());
                }
            }
        }
        return score;
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray, MaskState currentMaskState,
                                                          int minibatchSize) {
        this.maskArray = maskArray;
        this.maskState = currentMaskState;
        return new Pair<>(maskArray, currentMaskState);
    }

    @Override
    public void clear() {
        super.clear();
        lastForward = null;
        lastForwardInput = null;
        lastPieceStates = null;
    }
}
