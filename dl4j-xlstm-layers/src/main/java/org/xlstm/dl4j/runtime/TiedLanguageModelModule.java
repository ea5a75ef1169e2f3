package org.xlstm.dl4j.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A language model with tied weights: token ids, rows of the embedding W [V, D], a size-preserving body, and
 * the logits {@code h W^T}, so one matrix is both the token embedding and the output head. Its gradient is
 * the sum of both uses: the head's {@code dLogits^T h} plus the body's input gradient added to the rows of
 * the tokens that were looked up.
 *
 * <p>The input is [B, T, 1] token ids held as floating-point values (as DL4J's embedding layers take them);
 * ids are not differentiable and the input gradient is zero. The output is [B, T, V].
 */
public final class TiedLanguageModelModule implements SequenceModule {
    private final long vocabSize;
    private final SequenceModule body;
    private final String embedding;

    public TiedLanguageModelModule(long vocabSize, SequenceModule body, String embedding) {
        if (body.inputSize() != body.outputSize()) {
            throw new IllegalArgumentException("A tied language model needs a size-preserving body, got "
                    + body.inputSize() + " -> " + body.outputSize());
        }
        this.vocabSize = vocabSize;
        this.body = body;
        this.embedding = embedding;
    }

    @Override
    public long inputSize() {
        return 1;
    }

    @Override
    public long outputSize() {
        return vocabSize;
    }

    @Override
    public List<ParamSpec> parameters() {
        List<ParamSpec> list = new ArrayList<>();
        list.add(ParamSpec.weight(embedding, OfficialInit.smallInit(body.inputSize()), vocabSize, body.inputSize()));
        list.addAll(body.parameters());
        return list;
    }

    private static final class Cache {
        int[] ids;
        INDArray hidden;
        ModuleForward body;
    }

    @Override
    public ModuleForward forward(Map<String, INDArray> params, INDArray x, INDArray mask, Map<String, INDArray> state,
                                 boolean forBackward) {
        long b = x.size(0);
        long t = x.size(1);
        long d = body.inputSize();
        INDArray w = params.get(embedding);
        Cache c = new Cache();
        c.ids = tokenIds(x);
        INDArray embedded = Nd4j.pullRows(w, 1, c.ids).reshape(b, t, d);
        c.body = body.forward(params, embedded, mask, state, forBackward);
        c.hidden = c.body.output.reshape(b * t, d);
        INDArray logits = c.hidden.mmul(w.transpose()).reshape(b, t, vocabSize);
        return new ModuleForward(logits, c.body.finalState, forBackward ? c : null);
    }

    private int[] tokenIds(INDArray x) {
        double[] values = x.reshape(x.length()).toDoubleVector();
        int[] ids = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            if (v != Math.rint(v) || v < 0 || v >= vocabSize) {
                throw new IllegalArgumentException("Token ids must be integers in [0, " + vocabSize + ") but input"
                        + " position " + i + " (batch " + i / x.size(1) + ", step " + i % x.size(1) + ") holds " + v);
            }
            ids[i] = (int) v;
        }
        return ids;
    }

    @Override
    public INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy,
                             Map<String, INDArray> gradients) {
        Cache c = (Cache) forward.cache;
        long b = dy.size(0);
        long t = dy.size(1);
        long d = body.inputSize();
        INDArray w = params.get(embedding);
        INDArray dLogits = dy.reshape(b * t, vocabSize);
        INDArray dW = dLogits.transpose().mmul(c.hidden);
        INDArray dHidden = dLogits.mmul(w).reshape(b, t, d);
        INDArray dEmbedded = body.backward(params, c.body, dHidden, gradients).reshape('c', b * t, d);
        for (int i = 0; i < c.ids.length; i++) {
            dW.getRow(c.ids[i]).addi(dEmbedded.getRow(i));
        }
        gradients.get(embedding).assign(dW);
        return Nd4j.zeros(dy.dataType(), b, t, 1);
    }

    @Override
    public SDVariable define(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
        SDVariable w = params.get(embedding);
        SDVariable embedded = sd.gather(w, sd.squeeze(x, 2).castTo(DataType.INT64), 0);
        SDVariable hidden = body.define(sd, embedded, params, mask);
        SDVariable logits = sd.mmul(hidden.reshape(-1, body.inputSize()), w, false, true, false);
        return GraphOps.reshapeTime(sd, logits, x, vocabSize);
    }
}
