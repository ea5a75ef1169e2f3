package org.xlstm.dl4j.large;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.imports.SafetensorsFile;
import org.xlstm.dl4j.imports.SafetensorsReader;
import org.xlstm.dl4j.imports.SafetensorsWriter;
import org.xlstm.dl4j.imports.WeightFileException;
import org.xlstm.dl4j.imports.XlstmLargeConfig;
import org.xlstm.dl4j.imports.large.MemoryEstimate;
import org.xlstm.dl4j.imports.large.ModelTooLargeException;
import org.xlstm.dl4j.imports.large.XlstmLargeCheckpoint;

/** Configuration, parameter count, serialization and checkpoint errors of the xLSTM-Large model. */
class LargeModelTest {

    /**
     * The official module's count, from the shapes in xlstm/xlstm_large/model.py with E 4096, 8 heads, 32 blocks,
     * vocabulary 50304 and the defaults (qk 2048, v 4096, ffn 10944 = round_up(4096 * 2.6667, 64), no biases
     * but the gates', out norm): embedding and lm_head V*E each, out_norm E, and per block two norms (E each),
     * q and k (2048*E each), v, ogate_preact and out_proj (4096*E each), igate/fgate (8*E + 8 each),
     * multihead_norm (4096) and the three FFN maps (10944*E each).
     */
    @Test
    void sevenBillionConfigurationHasTheOfficialParameterCount() {
        long e = 4096;
        long ffn = 10944;
        long block = 2 * e + 2 * 2048 * e + 3 * 4096 * e + 2 * (8 * e + 8) + 4096 + 3 * ffn * e;
        long official = 2 * 50304 * e + e + 32 * block;
        assertEquals(6_865_424_896L, official);

        XlstmLargeConfig config = XlstmLargeConfig.builder(4096, 8, 32, 50304).build();
        assertEquals(ffn, config.ffnUpDim());
        assertEquals(official, XlstmLargeModel.parameterCount(config));
        assertEquals(official, XlstmLargeModel.officialTensors(config).stream()
                .mapToLong(OfficialTensor::elementCount).sum());
    }

    @Test
    void yamlTakesTheOfficialDefaultsForMissingKeys() {
        XlstmLargeConfig parsed = XlstmLargeConfig.fromYaml(
                "embedding_dim: 64\nnum_heads: 4\nnum_blocks: 2\nvocab_size: 101\nchunk_size: 16\n");
        assertEquals(XlstmLargeConfig.builder(64, 4, 2, 101).chunkSize(16).build(), parsed);
        assertEquals(192, parsed.ffnUpDim());
        assertEquals(30.0, parsed.getOutputLogitSoftCap());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> XlstmLargeConfig.fromYaml("embedding_dim: 64\nnum_heads: 4\nnum_blocks: 2\n"));
        assertTrue(e.getMessage().contains("vocab_size"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> XlstmLargeConfig.fromYaml(
                "embedding_dim: 64\nnum_heads: 4\nnum_blocks: 2\nvocab_size: 9\nweight_mode: fused\n"));
        assertTrue(e.getMessage().contains("weight_mode"), e.getMessage());
    }

    @Test
    void networkConfigurationSurvivesJson() {
        XlstmLargeConfig config = XlstmLargeConfig.builder(32, 4, 2, 20).useBias(true).addOutNorm(false).build();
        MultiLayerConfiguration conf = XlstmLargeModel.configuration(new NeuralNetConfiguration.Builder(), config);
        assertEquals(conf, MultiLayerConfiguration.fromJson(conf.toJson()));
    }

    @Test
    void checkpointErrorsNameTheTensorsAndShapes(@TempDir Path dir) throws IOException {
        Path source = LargeConformanceTest.caseDir("large_tiny");
        Files.copy(source.resolve("config.yaml"), dir.resolve("config.yaml"));
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsReader.open(source.resolve("model.safetensors"))) {
            for (String name : file.names()) {
                tensors.put(name, file.get(name, DataType.FLOAT));
            }
        }
        tensors.remove("backbone.blocks.1.ffn.proj_down.weight");
        tensors.put("backbone.blocks.0.mlstm_layer.q.weight", Nd4j.zeros(DataType.FLOAT, 31, 64));
        tensors.put("backbone.blocks.0.extra", Nd4j.zeros(DataType.FLOAT, 2));
        // two shards, as the released checkpoints are stored
        Map<String, INDArray> first = new LinkedHashMap<>();
        Map<String, INDArray> second = new LinkedHashMap<>();
        tensors.forEach((name, value) -> (name.contains("blocks.1") ? second : first).put(name, value));
        SafetensorsWriter.write(first, dir.resolve("model_0.safetensors"));
        SafetensorsWriter.write(second, dir.resolve("model_1.safetensors"));

        try (XlstmLargeCheckpoint checkpoint = XlstmLargeCheckpoint.open(dir)) {
            WeightFileException e = assertThrows(WeightFileException.class, () -> checkpoint.load(DataType.FLOAT));
            String m = e.getMessage();
            assertTrue(m.contains("missing tensor backbone.blocks.1.ffn.proj_down.weight (expected shape [64, 192])"), m);
            assertTrue(m.contains("model_0.safetensors: tensor backbone.blocks.0.mlstm_layer.q.weight has shape"
                    + " [31, 64] but the configuration needs [32, 64]"), m);
            assertTrue(m.contains("model_0.safetensors: unexpected tensor backbone.blocks.0.extra [2]"), m);
        }
    }

    @Test
    void memoryEstimateRefusesWhatTheJvmCannotHold(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.yaml"), "embedding_dim: 4096\nnum_heads: 8\nnum_blocks: 32\n"
                + "vocab_size: 50304\n");
        SafetensorsWriter.write(Map.of("embedding.weight", Nd4j.zeros(DataType.FLOAT, 1)),
                dir.resolve("model.safetensors"));
        try (XlstmLargeCheckpoint checkpoint = XlstmLargeCheckpoint.open(dir)) {
            MemoryEstimate estimate = checkpoint.estimate(DataType.FLOAT);
            assertEquals(4 * 6_865_424_896L, estimate.parameterBytes());
            // 32 blocks of 8 heads, each a 512x512 memory, a 512 normalizer and a stabilizer, in float32
            assertEquals(32L * 8 * (512 * 512 + 512 + 1) * 4, estimate.stateBytes());
            assertTrue(Pointer.maxBytes() < estimate.offHeapBytes(), "the test JVM's limit is below 27 GB");
            ModelTooLargeException e = assertThrows(ModelTooLargeException.class, estimate::requireFits);
            assertTrue(e.getMessage().contains("MiB parameters"), e.getMessage());
        }
    }
}
