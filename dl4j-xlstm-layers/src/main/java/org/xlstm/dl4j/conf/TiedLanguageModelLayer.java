package org.xlstm.dl4j.conf;

import java.util.ArrayList;
import java.util.List;

import org.xlstm.dl4j.runtime.ScopedModule;
import org.xlstm.dl4j.runtime.SequenceModule;
import org.xlstm.dl4j.runtime.SequentialModule;
import org.xlstm.dl4j.runtime.TiedLanguageModelModule;

import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;

/**
 * A whole language model with tied embedding and head weights as one layer: token ids, the embedding
 * ({@link #EMBEDDING} [V, E]), the given size-E layers (blocks, a final norm) in order, and the logits
 * computed with the transposed embedding. DL4J layers cannot share a parameter array, so the embedding and
 * the head, which sit at both ends of the model, and everything between them form one layer.
 *
 * <p>Input: token ids [minibatch, 1, time] (NCW) or [minibatch, time, 1] (NWC) as floating-point values;
 * output: logits [minibatch, V, time] (NCW) or [minibatch, time, V] (NWC). The parameters of body layer i are
 * its own parameter names scoped by {@code b<i>} (e.g. {@code b0UpW}, see {@link #bodyScope}).
 */
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
public class TiedLanguageModelLayer extends XlstmLayerConfig {
    /** Name of the shared embedding/head weight [V, E] in the parameter table. */
    public static final String EMBEDDING = "emb";

    protected List<XlstmLayerConfig> body = new ArrayList<>();

    protected TiedLanguageModelLayer() {
        // for JSON
    }

    protected TiedLanguageModelLayer(Builder builder) {
        super(builder);
        this.nIn = 1;
        this.body = List.copyOf(builder.body);
    }

    /** The scope of body layer {@code index}'s parameter names. */
    public static String bodyScope(int index) {
        return "b" + index;
    }

    @Override
    public SequenceModule module() {
        require(nIn == 1, "nIn", "1 (one token id per step)", nIn);
        require(nOut > 0, "nOut (the vocabulary size)", "> 0", nOut);
        require(!body.isEmpty(), "body", "at least one layer", body.size());
        List<SequenceModule> modules = new ArrayList<>();
        for (int i = 0; i < body.size(); i++) {
            modules.add(new ScopedModule(body.get(i).module(), bodyScope(i)));
        }
        return new TiedLanguageModelModule(nOut, new SequentialModule(modules), EMBEDDING);
    }

    @Override
    protected void onNInSet() {
        require(nIn == 1, "the input size", "1 (one token id per step)", nIn);
    }

    public static class Builder extends XlstmLayerConfig.Builder<Builder> {
        private final List<XlstmLayerConfig> body = new ArrayList<>();

        /** The vocabulary size V: nOut = V. */
        public Builder vocabSize(long vocabSize) {
            return nOut(vocabSize);
        }

        /** The size-preserving layers between embedding and head, in order (all of the embedding size E). */
        public Builder body(List<? extends XlstmLayerConfig> layers) {
            body.clear();
            body.addAll(layers);
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public TiedLanguageModelLayer build() {
            TiedLanguageModelLayer layer = new TiedLanguageModelLayer(this);
            layer.module();
            return layer;
        }
    }
}
