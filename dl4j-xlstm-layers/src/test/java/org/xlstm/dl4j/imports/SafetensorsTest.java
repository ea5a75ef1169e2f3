package org.xlstm.dl4j.imports;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SafetensorsTest {

    static final Path CONFORMANCE = Paths.get("src/test/resources/conformance");
    static final List<String> CASES = List.of("mlstm_only", "slstm_only", "mixed_3_1", "lm_mixed");

    @TempDir
    Path tmp;

    /** Builds a safetensors file by hand: length field, header text, raw data. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    static byte[] le(int bytes, java.util.function.Consumer<ByteBuffer> fill) {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        fill.accept(b);
        return b.array();
    }

    Path write(String name, byte[] content) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, content);
        return p;
    }

    @Test
    void readsEveryConformanceWeightFile() {
        Map<String, Long> expectedTotals = Map.of("mlstm_only", 17904L, "slstm_only", 17184L,
                "mixed_3_1", 35416L, "lm_mixed", 20744L);
        for (String c : CASES) {
            for (String f : List.of("weights.safetensors", "grads.safetensors", "weights_cuda_layout.safetensors")) {
                Path p = CONFORMANCE.resolve(c).resolve(f);
                if (!Files.exists(p)) {
                    continue;
                }
                try (SafetensorsFile st = SafetensorsReader.open(p)) {
                    long total = 0;
                    for (String n : st.names()) {
                        INDArray a = st.get(n, DataType.DOUBLE);
                        assertArrayEquals(st.shape(n), a.shape(), n);
                        assertEquals(SafetensorsDtype.F64, st.dtype(n));
                        total += a.length();
                    }
                    assertEquals(total, st.totalElementCount());
                    if (f.startsWith("weights")) {
                        assertEquals(expectedTotals.get(c), total, c + "/" + f);
                    }
                }
            }
        }
    }

    @Test
    void conformanceMetadataAndShapes() {
        try (SafetensorsFile st = SafetensorsReader.open(CONFORMANCE.resolve("mixed_3_1/weights.safetensors"))) {
            assertEquals("vanilla", st.metadata().get("slstm_backend"));
            assertArrayEquals(new long[] {4, 32, 8}, st.shape("blocks.1.xlstm.slstm_cell._recurrent_kernel_"));
            assertArrayEquals(new long[] {16, 4, 4}, st.shape("blocks.0.xlstm.q_proj.weight"));
        }
        try (SafetensorsFile st = SafetensorsReader.open(
                CONFORMANCE.resolve("mixed_3_1/weights_cuda_layout.safetensors"))) {
            assertArrayEquals(new long[] {4, 8, 32}, st.shape("blocks.1.xlstm.slstm_cell._recurrent_kernel_"));
        }
    }

    @Test
    void backendLayoutsAgreeOnSharedTensors() {
        try (SafetensorsFile vanilla = SafetensorsReader.open(CONFORMANCE.resolve("lm_mixed/weights.safetensors"));
             SafetensorsFile cuda = SafetensorsReader.open(
                     CONFORMANCE.resolve("lm_mixed/weights_cuda_layout.safetensors"))) {
            for (String n : List.of("token_embedding.weight", "xlstm_block_stack.blocks.1.xlstm.q_proj.weight",
                    "xlstm_block_stack.blocks.0.xlstm.fgate.weight")) {
                assertEquals(vanilla.get(n, DataType.DOUBLE), cuda.get(n, DataType.DOUBLE), n);
            }
            // The vanilla recurrent kernel [NH, 4*DH, DH_in] is the cuda one [NH, DH_in, 4*DH] transposed per head.
            String rk = "xlstm_block_stack.blocks.0.xlstm.slstm_cell._recurrent_kernel_";
            assertEquals(vanilla.get(rk, DataType.DOUBLE), cuda.get(rk, DataType.DOUBLE).permute(0, 2, 1));
        }
    }

    @Test
    void roundTripOfConformanceWeights() {
        Path out = tmp.resolve("rt.safetensors");
        Map<String, INDArray> all = new LinkedHashMap<>();
        try (SafetensorsFile st = SafetensorsReader.open(CONFORMANCE.resolve("mixed_3_1/weights.safetensors"))) {
            for (String n : st.names()) {
                all.put(n, st.get(n, DataType.DOUBLE));
            }
        }
        SafetensorsWriter.write(all, out);
        try (SafetensorsFile st = SafetensorsReader.open(out)) {
            assertEquals(all.keySet(), new java.util.HashSet<>(st.names()));
            for (String n : st.names()) {
                assertEquals(all.get(n), st.get(n, DataType.DOUBLE), n);
            }
        }
    }

    @Test
    void writerIsDeterministicAndHandlesViewsAndFloats() throws IOException {
        INDArray m = Nd4j.create(new double[] {1, 2, 3, 4, 5, 6}, new long[] {2, 3}, 'c');
        Map<String, INDArray> a = new LinkedHashMap<>();
        a.put("z.t", m.transpose());
        a.put("a.f32", m.castTo(DataType.FLOAT).dup('f'));
        a.put("s", Nd4j.scalar(2.5));
        Map<String, INDArray> b = new LinkedHashMap<>();
        b.put("s", a.get("s"));
        b.put("a.f32", a.get("a.f32"));
        b.put("z.t", a.get("z.t"));
        Path p1 = tmp.resolve("a.safetensors");
        Path p2 = tmp.resolve("b.safetensors");
        SafetensorsWriter.write(a, Map.of("format", "pt"), p1);
        SafetensorsWriter.write(b, Map.of("format", "pt"), p2);
        assertArrayEquals(Files.readAllBytes(p1), Files.readAllBytes(p2));
        try (SafetensorsFile st = SafetensorsReader.open(p1)) {
            assertEquals(List.of("a.f32", "s", "z.t"), st.names());
            assertEquals("pt", st.metadata().get("format"));
            assertEquals(SafetensorsDtype.F32, st.dtype("a.f32"));
            assertEquals(m.transpose(), st.get("z.t", DataType.DOUBLE));
            assertEquals(m.castTo(DataType.FLOAT), st.get("a.f32", DataType.FLOAT));
            assertEquals(2.5, st.get("s", DataType.DOUBLE).getDouble(0), 0.0);
        }
        assertThrows(IllegalArgumentException.class,
                () -> SafetensorsWriter.write(Map.of("i", Nd4j.createFromArray(1, 2)), tmp.resolve("i.safetensors")));
    }

    @Test
    void decodesHandBuiltF32F16Bf16AndIntegerTensors() throws IOException {
        // F32 [1.5, -2.25]; F16 [1.0, -2.0, 0.5, 65504 (max), 2^-24 (smallest subnormal)];
        // BF16 [1.0, -3.0, 0.15625]; I64 [-7, 2^40]; I32 [3].
        byte[] data = le(8 + 10 + 6 + 16 + 4, b -> {
            b.putFloat(1.5f).putFloat(-2.25f);
            b.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x3800)
                    .putShort((short) 0x7BFF).putShort((short) 0x0001);
            b.putShort((short) 0x3F80).putShort((short) 0xC040).putShort((short) 0x3E20);
            b.putLong(-7).putLong(1L << 40);
            b.putInt(3);
        });
        String header = "{\"f32\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"f16\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[8,18]},"
                + "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[3,1],\"data_offsets\":[18,24]},"
                + "\"i64\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[24,40]},"
                + "\"i32\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[40,44]}}";
        Path p = write("hand.safetensors", file(header, data));
        try (SafetensorsFile st = SafetensorsReader.open(p)) {
            assertArrayEquals(new double[] {1.5, -2.25}, st.get("f32", DataType.DOUBLE).toDoubleVector(), 0.0);
            assertArrayEquals(new double[] {1.0, -2.0, 0.5, 65504.0, Math.pow(2, -24)},
                    st.get("f16", DataType.DOUBLE).toDoubleVector(), 0.0);
            INDArray bf = st.get("bf16", DataType.FLOAT);
            assertArrayEquals(new long[] {3, 1}, bf.shape());
            assertArrayEquals(new float[] {1.0f, -3.0f, 0.15625f}, bf.reshape(3).toFloatVector(), 0f);
            assertArrayEquals(new long[] {-7, 1L << 40}, st.get("i64", DataType.LONG).toLongVector());
            assertEquals(3.0, st.get("i32", DataType.DOUBLE).getDouble(0), 0.0);
            assertEquals(13, st.totalElementCount());
            WeightFileException e = assertThrows(WeightFileException.class, () -> st.get("f32", DataType.INT));
            assertTrue(e.getMessage().contains("f32"), e.getMessage());
            assertThrows(WeightFileException.class, () -> st.get("missing", DataType.DOUBLE));
        }
    }

    @Test
    void halfSpecialValues() {
        assertEquals(Float.POSITIVE_INFINITY, SafetensorsDtype.halfToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, SafetensorsDtype.halfToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(SafetensorsDtype.halfToFloat((short) 0x7E00)));
        assertEquals(-0.0f, SafetensorsDtype.halfToFloat((short) 0x8000));
        assertEquals(Math.pow(2, -14), SafetensorsDtype.halfToFloat((short) 0x0400), 0.0);
    }

    private WeightFileException refused(byte[] content, String... fragments) throws IOException {
        Path p = write("bad.safetensors", content);
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafetensorsReader.open(p).close());
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
        return e;
    }

    private static final String ONE_F64 = "{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}";

    @Test
    void truncatedData() throws IOException {
        refused(file(ONE_F64, new byte[12]), "'w'", "past the end", "12 bytes");
    }

    @Test
    void fileShorterThanLengthField() throws IOException {
        refused(new byte[5], "shorter than the 8-byte");
    }

    @Test
    void headerLengthPastEndOfFile() throws IOException {
        byte[] f = file(ONE_F64, new byte[16]);
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(0, f.length);
        refused(f, "runs past the end of the file");
    }

    @Test
    void oversizedHeaderClaim() throws IOException {
        byte[] f = file(ONE_F64, new byte[16]);
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        refused(f, "exceeds the cap");
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        refused(f, "18446744073709551615", "exceeds the cap");
    }

    @Test
    void invalidJson() throws IOException {
        refused(file("{\"w\": {\"dtype\": \"F64\",", new byte[16]), "not valid JSON");
        refused(file("[1, 2]", new byte[0]), "must be a JSON object");
    }

    @Test
    void unknownDtype() throws IOException {
        refused(file("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2]),
                "'w'", "unknown dtype 'F8_E4M3'");
    }

    @Test
    void offsetsPastTheEnd() throws IOException {
        refused(file("{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[16,32]}}", new byte[16]),
                "'w'", "[16, 32]", "past the end of the data section (16 bytes)");
    }

    @Test
    void offsetsOutOfOrder() throws IOException {
        refused(file("{\"w\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[8,0]}}", new byte[16]),
                "out of order");
    }

    @Test
    void overlappingTensors() throws IOException {
        refused(file("{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}}", new byte[16]), "overlap", "'a'", "'b'");
    }

    @Test
    void shapeByteLengthMismatch() throws IOException {
        refused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", new byte[16]),
                "'w'", "shape [3]", "needs 12 bytes", "span 16");
    }

    @Test
    void malformedEntryFields() throws IOException {
        refused(file("{\"w\":{\"dtype\":\"F64\",\"shape\":[-2],\"data_offsets\":[0,16]}}", new byte[16]),
                "shape[0] must be a non-negative integer");
        refused(file("{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0]}}", new byte[16]),
                "data_offsets must have 2 entries");
        refused(file("{\"__metadata__\":{\"k\":1}}", new byte[0]), "__metadata__.k must be a string");
    }
}
