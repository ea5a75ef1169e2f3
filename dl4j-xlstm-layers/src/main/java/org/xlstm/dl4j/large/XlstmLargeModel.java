package org.xlstm.dl4j.large;

import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.linalg.activations.Activation;
import org.xlstm.dl4j.imports.ParameterMapping;
import org.xlstm.dl4j.imports.XlstmLargeConfig;
import org.xlstm.dl4j.runtime.ParamSpec;

/**
 * The official {@code xLSTMLarge} model (the architecture of NX-AI's xLSTM 7B) as DL4J layers, in NCW order:
 * an {@code EmbeddingSequenceLayer} (token ids {@code [B, 1, S]} or {@code [B, S]}), {@code num_blocks}
 * {@link XlstmLargeBlock}s and an {@link XlstmLargeHead} (out norm, head, logit soft cap). The output is the
 * capped logits {@code [B, V, S]}; rnnTimeStep streams one token at a time through the blocks' recurrent step.
 */
public final class XlstmLargeModel {
    public static final String EMBEDDING = "embedding.weight";
    public static final String HEAD = "lm_head.weight";
    public static final String BLOCK_PREFIX = "backbone.blocks.";
    public static final String OUT_NORM = "backbone.out_norm.";

    private XlstmLargeModel() {
    }

    /** The layers in order: embedding, the blocks, the head. */
    public static List<Layer> layers(XlstmLargeConfig config) {
        List<Layer> layers = new ArrayList<>();
        layers.add(new EmbeddingSequenceLayer.Builder().nIn(config.getVocabSize()).nOut(config.getEmbeddingDim())
                .hasBias(false).activation(Activation.IDENTITY).inferInputLength(true)
                .outputDataFormat(RNNFormat.NCW).name("embedding").build());
        for (int i = 0; i < config.getNumBlocks(); i++) {
            layers.add(block(config, i));
        }
        layers.add(head(config));
        return layers;
    }

    /** The network configuration: {@code base}'s global settings (data type, updater, ...) with {@link #layers}. */
    public static MultiLayerConfiguration configuration(NeuralNetConfiguration.Builder base, XlstmLargeConfig config) {
        NeuralNetConfiguration.ListBuilder list = base.list();
        for (Layer layer : layers(config)) {
            list.layer(layer);
        }
        return list.build();
    }

    /** The number of parameters of the model of {@code config}, from the layers' declared shapes: nothing is allocated. */
    public static long parameterCount(XlstmLargeConfig config) {
        long count = (long) config.getVocabSize() * config.getEmbeddingDim();
        count += config.getNumBlocks() * count(block(config, 0).module().parameters());
        return count + count(head(config).module().parameters());
    }

    /** Every tensor of the official checkpoint of {@code config}, in state_dict order, mapped onto {@link #layers}. */
    public static List<OfficialTensor> officialTensors(XlstmLargeConfig config) {
        long e = config.getEmbeddingDim();
        boolean bias = config.isUseBias();
        List<OfficialTensor> tensors = new ArrayList<>();
        tensors.add(new OfficialTensor(0, new long[] {config.getVocabSize(), e},
                ParameterMapping.reshaped(EMBEDDING, DefaultParamInitializer.WEIGHT_KEY,
                        new long[] {config.getVocabSize(), e})));
        long[] maps = {config.qkDim(), config.qkDim(), config.vDim(), config.vDim(), config.getNumHeads(),
            config.getNumHeads()};
        String[] official = {"q", "k", "v", "ogate_preact", "igate_preact", "fgate_preact"};
        for (int i = 0; i < config.getNumBlocks(); i++) {
            int layer = i + 1;
            String block = BLOCK_PREFIX + i + ".";
            String mlstm = block + "mlstm_layer.";
            vector(tensors, layer, block + "norm_mlstm.weight", "mnormW", e);
            optionalVector(tensors, bias, layer, block + "norm_mlstm.bias", "mnormB", e);
            for (int m = 0; m < maps.length; m++) {
                String ours = LargeMlstmModule.INPUT_MAPS[m];
                linear(tensors, layer, mlstm + official[m] + ".weight", ours + "W", maps[m], e);
                optionalVector(tensors, bias || m >= 4, layer, mlstm + official[m] + ".bias", ours + "B", maps[m]);
            }
            // stored as an offset from 1 (GroupNorm's scale); gradients are the same either way
            tensors.add(new OfficialTensor(layer, new long[] {config.vDim()},
                    new ParameterMapping(mlstm + "multihead_norm.weight", new long[] {config.vDim()}, "normW", a -> a.sub(1.0),
                            a -> a.reshape(config.vDim()))));
            optionalVector(tensors, bias, layer, mlstm + "multihead_norm.bias", "normB", config.vDim());
            linear(tensors, layer, mlstm + "out_proj.weight", "outW", e, config.vDim());
            optionalVector(tensors, bias, layer, mlstm + "out_proj.bias", "outB", e);
            vector(tensors, layer, block + "norm_ffn.weight", "fnormW", e);
            optionalVector(tensors, bias, layer, block + "norm_ffn.bias", "fnormB", e);
            String[][] ffn = {{"proj_up_gate", "upGate"}, {"proj_up", "up"}};
            for (String[] f : ffn) {
                linear(tensors, layer, block + "ffn." + f[0] + ".weight", f[1] + "W", config.ffnUpDim(), e);
                optionalVector(tensors, bias, layer, block + "ffn." + f[0] + ".bias", f[1] + "B", config.ffnUpDim());
            }
            linear(tensors, layer, block + "ffn.proj_down.weight", "downW", e, config.ffnUpDim());
            optionalVector(tensors, bias, layer, block + "ffn.proj_down.bias", "downB", e);
        }
        int head = config.getNumBlocks() + 1;
        if (config.isAddOutNorm()) {
            vector(tensors, head, OUT_NORM + "weight", "normW", e);
            optionalVector(tensors, bias, head, OUT_NORM + "bias", "normB", e);
        }
        linear(tensors, head, HEAD, "headW", config.getVocabSize(), e);
        return tensors;
    }

    static XlstmLargeBlock block(XlstmLargeConfig config, int index) {
        return new XlstmLargeBlock.Builder().size(config.getEmbeddingDim()).numHeads(config.getNumHeads())
                .qkDimFactor(config.getQkDimFactor()).vDimFactor(config.getVDimFactor()).bias(config.isUseBias())
                .normEps(config.getNormEps()).gateSoftCap(config.getGateSoftCap()).chunkSize(config.getChunkSize())
                .ffnProjFactor(config.getFfnProjFactor()).ffnRoundUpToMultipleOf(config.getFfnRoundUpToMultipleOf())
                .name("block" + index).build();
    }

    static XlstmLargeHead head(XlstmLargeConfig config) {
        return new XlstmLargeHead.Builder().nIn(config.getEmbeddingDim()).nOut(config.getVocabSize())
                .outNorm(config.isAddOutNorm()).normBias(config.isUseBias()).normEps(config.getNormEps())
                .logitSoftCap(config.getOutputLogitSoftCap()).name("head").build();
    }

    private static long count(List<ParamSpec> specs) {
        long total = 0;
        for (ParamSpec spec : specs) {
            long n = 1;
            for (long d : spec.shape()) {
                n *= d;
            }
            total += n;
        }
        return total;
    }

    private static void vector(List<OfficialTensor> tensors, int layer, String name, String ours, long size) {
        tensors.add(new OfficialTensor(layer, new long[] {size},
                ParameterMapping.reshaped(name, ours, new long[] {size})));
    }

    private static void optionalVector(List<OfficialTensor> tensors, boolean present, int layer, String name,
                                       String ours, long size) {
        if (present) {
            vector(tensors, layer, name, ours, size);
        }
    }

    /** A PyTorch Linear weight [out, in]; ours is [in, out]. */
    private static void linear(List<OfficialTensor> tensors, int layer, String name, String ours, long out, long in) {
        tensors.add(new OfficialTensor(layer, new long[] {out, in}, ParameterMapping.transposed(name, ours, out, in)));
    }
}
