package org.xlstm.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.xlstm.dl4j.imports.OfficialParameterCount;
import org.xlstm.dl4j.imports.XlstmLmConfig;
import org.xlstm.dl4j.model.XlstmLanguageModel;

/** The language-model builder's parameter count against the official module's. */
class ParameterCountTest {

    private static final String BLOCKS = "\"mlstm_block\": {\"mlstm\": {\"conv1d_kernel_size\": 4,"
            + " \"qkv_proj_blocksize\": 4, \"num_heads\": 4}},"
            + " \"slstm_block\": {\"slstm\": {\"backend\": \"cuda\", \"num_heads\": 4, \"conv1d_kernel_size\": 4,"
            + " \"bias_init\": \"powerlaw_blockdependent\"}, \"feedforward\": {\"proj_factor\": 1.3,"
            + " \"act_fn\": \"gelu\"}}, \"context_length\": 256, \"embedding_dim\": 768, \"vocab_size\": 50304,";

    @Test
    void smallLanguageModelAllocated() {
        XlstmLmConfig config = XlstmLmConfig.fromJson(Reference.dir("lm_mixed").resolve("config.json"));
        MultiLayerNetwork net = new MultiLayerNetwork(
                XlstmLanguageModel.configuration(new NeuralNetConfiguration.Builder(), config));
        net.init();
        assertEquals(OfficialParameterCount.of(config), net.numParams());
        assertEquals(countFromConfiguration(config), net.numParams());
    }

    @Test
    void mixed24BlocksUntied() {
        XlstmLmConfig config = XlstmLmConfig.fromJson("{" + BLOCKS
                + " \"num_blocks\": 24, \"slstm_at\": [3, 20], \"tie_weights\": false}");
        assertEquals(163_690_928L, OfficialParameterCount.of(config));
        assertEquals(163_690_928L, countFromConfiguration(config));
    }

    /** The tied model (one layer holding embedding, blocks, norm and head) counts the shared weight once. */
    @Test
    void mlstm12BlocksTiedAndUntied() {
        String common = "{" + BLOCKS + " \"num_blocks\": 12, \"slstm_at\": [], \"tie_weights\": ";
        XlstmLmConfig tied = XlstmLmConfig.fromJson(common + "true}");
        assertEquals(81_903_456L, OfficialParameterCount.of(tied));
        assertEquals(81_903_456L, countFromConfiguration(tied));

        XlstmLmConfig untied = XlstmLmConfig.fromJson(common + "false}");
        long untiedCount = 81_903_456L + 50_304L * 768;
        assertEquals(untiedCount, OfficialParameterCount.of(untied));
        assertEquals(untiedCount, countFromConfiguration(untied));
    }

    /** Sum of the layers' parameter counts from the configuration alone, nothing allocated. */
    private static long countFromConfiguration(XlstmLmConfig config) {
        MultiLayerConfiguration conf = XlstmLanguageModel.configuration(new NeuralNetConfiguration.Builder(), config);
        long total = 0;
        for (int i = 0; i < conf.getConfs().size(); i++) {
            NeuralNetConfiguration layer = conf.getConf(i);
            total += layer.getLayer().initializer().numParams(layer);
        }
        return total;
    }
}
