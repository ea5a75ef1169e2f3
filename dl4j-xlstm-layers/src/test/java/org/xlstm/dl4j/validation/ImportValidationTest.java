package org.xlstm.dl4j.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ObjectNode;
import org.xlstm.dl4j.imports.NpyIO;
import org.xlstm.dl4j.imports.SafetensorsFile;
import org.xlstm.dl4j.imports.SafetensorsReader;
import org.xlstm.dl4j.imports.SafetensorsWriter;
import org.xlstm.dl4j.imports.WeightFileException;
import org.xlstm.dl4j.imports.XlstmLmConfig;
import org.xlstm.dl4j.imports.XlstmStackConfig;
import org.xlstm.dl4j.model.OfficialModelRunner;

/** Bad checkpoints, configs and token ids are refused before anything is built, naming what is wrong. */
class ImportValidationTest {

    private static final Path MIXED = Paths.get("src/test/resources/conformance/mixed_3_1");
    private static final Path LM = Paths.get("src/test/resources/conformance/lm_mixed");
    private static final String PROJ_DOWN = "blocks.0.xlstm.proj_down.weight";

    @TempDir
    Path dir;

    /** The mixed_3_1 checkpoint with one tensor replaced. */
    private Path withTensor(String name, UnaryOperator<INDArray> change) {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsReader.open(MIXED.resolve("weights.safetensors"))) {
            for (String n : file.names()) {
                INDArray t = file.get(n, DataType.DOUBLE);
                tensors.put(n, n.equals(name) ? change.apply(t) : t);
            }
        }
        Path out = dir.resolve("weights.safetensors");
        SafetensorsWriter.write(tensors, out);
        return out;
    }

    /** Rewrites the header so that tensor {@code name} claims {@code dtype}, keeping its bytes. */
    private static void relabel(Path file, String name, String dtype) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int headerLength = (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) new ObjectMapper().readTree(new String(bytes, 8, headerLength,
                StandardCharsets.UTF_8));
        ((ObjectNode) header.get(name)).put("dtype", dtype);
        byte[] newHeader = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + newHeader.length + bytes.length - 8 - headerLength)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(newHeader.length).put(newHeader).put(bytes, 8 + headerLength, bytes.length - 8 - headerLength);
        Files.write(file, out.array());
    }

    private static WeightFileException loadStack(Path weights) {
        XlstmStackConfig config = XlstmStackConfig.fromJson(MIXED.resolve("config.json"));
        try (SafetensorsFile file = SafetensorsReader.open(weights)) {
            return assertThrows(WeightFileException.class,
                    () -> OfficialModelRunner.forStack(config, file, DataType.DOUBLE));
        }
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "message should mention '" + p + "': " + message);
        }
    }

    @Test
    void transposedTensorOfTheSameElementCountIsRefusedNamingTensorAndShapes() {
        Path weights = withTensor(PROJ_DOWN, t -> t.transpose().dup('c'));
        WeightFileException e = loadStack(weights);
        assertMentions(e.getMessage(), weights.toString(), PROJ_DOWN, "expected shape [32, 64]", "got [64, 32]");
    }

    @Test
    void floatBytesLabelledAsAnIntegerDtypeAreRefused() throws IOException {
        Path weights = withTensor(PROJ_DOWN, t -> t);
        relabel(weights, PROJ_DOWN, "I64");
        WeightFileException e = loadStack(weights);
        assertMentions(e.getMessage(), PROJ_DOWN, "floating-point", "I64");
    }

    @Test
    void weightsAreCheckedBeforeTheNetworkIsBuilt() throws IOException {
        // 8 mLSTM blocks of embedding 512: about 100 MB of float64 parameters if the network were built first.
        Path config = dir.resolve("big.json");
        Files.writeString(config, "{\"mlstm_block\": {\"mlstm\": {\"num_heads\": 4}}, \"num_blocks\": 8,"
                + " \"embedding_dim\": 512}");
        XlstmStackConfig big = XlstmStackConfig.fromJson(config);
        // Building a network initializes its parameters from ND4J's global generator (after seeding it), so an
        // untouched generator shows that no network was built before the refusal.
        Nd4j.getRandom().setSeed(123);
        double untouched = Nd4j.getRandom().nextDouble();
        Nd4j.getRandom().setSeed(123);
        try (SafetensorsFile file = SafetensorsReader.open(MIXED.resolve("weights.safetensors"))) {
            WeightFileException e = assertThrows(WeightFileException.class,
                    () -> OfficialModelRunner.forStack(big, file, DataType.DOUBLE));
            assertMentions(e.getMessage(), "blocks.7.xlstm.proj_up.weight", "expected shape [2048, 512]");
        }
        assertEquals(untouched, Nd4j.getRandom().nextDouble(), "a network was built before the weights were checked");
    }

    @Test
    void fractionalAndNaNTokenIdsAreRefused() {
        XlstmLmConfig config = XlstmLmConfig.fromJson(LM.resolve("config.json"));
        try (SafetensorsFile file = SafetensorsReader.open(LM.resolve("weights.safetensors"))) {
            OfficialModelRunner runner = OfficialModelRunner.forLanguageModel(config, file, DataType.DOUBLE);
            IllegalArgumentException fractional = assertThrows(IllegalArgumentException.class,
                    () -> runner.output(Nd4j.createFromArray(new double[][] {{1, 1.5, 2}})));
            assertMentions(fractional.getMessage(), "token ids", "1.5", "[0, 50)");
            IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                    () -> runner.output(Nd4j.createFromArray(new double[][] {{1, Double.NaN, 2}})));
            assertMentions(nan.getMessage(), "token ids", "NaN");
        }
    }

    @Test
    void absurdSizesAreRefusedWhileParsing() {
        IllegalArgumentException wide = assertThrows(IllegalArgumentException.class, () -> XlstmStackConfig.fromJson(
                "{\"mlstm_block\": {}, \"embedding_dim\": 1048576}"));
        assertMentions(wide.getMessage(), "embedding_dim", "65536", "1048576");
        IllegalArgumentException deep = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertThrows(
                IllegalArgumentException.class, () -> XlstmStackConfig.fromJson(
                        "{\"slstm_block\": {}, \"num_blocks\": 1000000, \"slstm_at\": \"all\"}")));
        assertMentions(deep.getMessage(), "num_blocks", "1024", "1000000");
        IllegalArgumentException inner = assertThrows(IllegalArgumentException.class, () -> XlstmStackConfig.fromJson(
                "{\"mlstm_block\": {\"mlstm\": {\"proj_factor\": 1e12}}, \"embedding_dim\": 64}"));
        assertMentions(inner.getMessage(), "mlstm_block.mlstm.proj_factor", "inner size");
        IllegalArgumentException vocab = assertThrows(IllegalArgumentException.class, () -> XlstmLmConfig.fromJson(
                "{\"mlstm_block\": {}, \"embedding_dim\": 64, \"vocab_size\": 2000000000}"));
        assertMentions(vocab.getMessage(), "vocab_size", "2000000000");
    }

    @Test
    void npyElementCountThatWrapsAroundIsRefused() throws IOException {
        // 2^62 * 4 elements: the count wraps to 0 in 64-bit arithmetic, which once read as an empty array.
        String header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }";
        StringBuilder padded = new StringBuilder(header);
        while ((10 + padded.length() + 1) % 64 != 0) {
            padded.append(' ');
        }
        padded.append('\n');
        byte[] h = padded.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + h.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.ISO_8859_1)).put((byte) 1).put((byte) 0);
        b.putShort((short) h.length).put(h);
        Path npy = dir.resolve("wrap.npy");
        Files.write(npy, b.array());
        WeightFileException e = assertThrows(WeightFileException.class, () -> NpyIO.read(npy));
        assertMentions(e.getMessage(), npy.toString(), "overflows");
    }
}
