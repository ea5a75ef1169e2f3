package org.xlstm.dl4j.validation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ArrayNode;
import org.nd4j.shade.jackson.databind.node.JsonNodeFactory;
import org.nd4j.shade.jackson.databind.node.ObjectNode;
import org.xlstm.dl4j.imports.ConfigException;
import org.xlstm.dl4j.imports.NpyIO;
import org.xlstm.dl4j.imports.OfficialParameterCount;
import org.xlstm.dl4j.imports.OfficialWeightImporter;
import org.xlstm.dl4j.imports.SafetensorsFile;
import org.xlstm.dl4j.imports.SafetensorsReader;
import org.xlstm.dl4j.imports.WeightFileException;
import org.xlstm.dl4j.imports.XlstmStackConfig;
import org.xlstm.dl4j.model.XlstmStack;

/**
 * Seeded mutations of the conformance files (raw bytes, and the structure each format has: the safetensors
 * header JSON with its dtypes, shapes and offsets, the .npy header dict, the config's keys and values): every
 * mutant is either loaded whole and consistent, or refused with the library's own exception, within a few
 * seconds. A failure names the seed and mutant number to replay it.
 */
class ImportFuzzTest {
    private static final Path CASE = Paths.get("src/test/resources/conformance/slstm_only");
    private static final Path MIXED_CONFIG = Paths.get("src/test/resources/conformance/mixed_3_1/config.json");
    private static final int MUTANTS = 5_000;
    private static final long SEED = 20261203L;
    private static final long MAX_MILLIS_PER_MUTANT = 3_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @TempDir
    Path dir;

    /** ND4J's one-time start-up (seconds on a busy machine) must not count against the first mutant. */
    @BeforeAll
    static void startNd4j() {
        NpyIO.read(CASE.resolve("input.npy"));
    }

    // ------------------------------------------------------------------ the three file kinds

    @Test
    void safetensors() throws IOException {
        byte[] original = Files.readAllBytes(CASE.resolve("weights.safetensors"));
        XlstmStackConfig config = XlstmStackConfig.fromJson(CASE.resolve("config.json"));
        Path file = dir.resolve("mutant.safetensors");
        fuzz("safetensors", WeightFileException.class, random -> random.nextInt(3) == 0
                ? mutateBytes(original, random, headerEnd(original)) : mutateSafetensorsHeader(original, random),
                bytes -> {
                    Files.write(file, bytes);
                    try (SafetensorsFile weights = SafetensorsReader.open(file)) {
                        for (String name : weights.names()) {
                            INDArray t = weights.get(name, DataType.DOUBLE);
                            assertArrayEquals(weights.shape(name), t.shape(), name);
                        }
                        OfficialWeightImporter.validate(weights, XlstmStack.officialMappings(config, "", false),
                                Collections.emptySet());
                    }
                });
    }

    @Test
    void npy() throws IOException {
        byte[] original = Files.readAllBytes(CASE.resolve("input.npy"));
        Path file = dir.resolve("mutant.npy");
        fuzz("npy", WeightFileException.class, random -> random.nextInt(3) == 0
                ? mutateBytes(original, random, 128) : mutateNpyHeader(original, random),
                bytes -> {
                    Files.write(file, bytes);
                    INDArray a = NpyIO.read(file);
                    assertEquals(Arrays.stream(a.shape()).reduce(1, Math::multiplyExact), a.length());
                });
    }

    @Test
    void configJson() throws IOException {
        byte[] original = Files.readAllBytes(MIXED_CONFIG);
        fuzz("config JSON", ConfigException.class, random -> random.nextInt(4) == 0
                ? mutateBytes(original, random, original.length) : mutateConfig(original, random),
                bytes -> {
                    XlstmStackConfig config = XlstmStackConfig.fromJson(new String(bytes, StandardCharsets.UTF_8));
                    assertTrue(OfficialParameterCount.of(config) > 0);
                    assertEquals(config.getNumBlocks() + (config.isAddPostBlocksNorm() ? 1 : 0),
                            XlstmStack.officialMappings(config, "", false).size());
                });
    }

    // ------------------------------------------------------------------ the harness

    private interface Load {
        void accept(byte[] bytes) throws Exception;
    }

    private static void fuzz(String kind, Class<? extends RuntimeException> refusal, Function<Random, byte[]> mutate,
                             Load load) {
        Random random = new Random(SEED);
        int loaded = 0;
        for (int i = 0; i < MUTANTS; i++) {
            byte[] mutant = mutate.apply(random);
            String which = kind + " mutant " + i + " (seed " + SEED + ")";
            long start = System.nanoTime();
            try {
                load.accept(mutant);
                loaded++;
            } catch (Exception e) {
                if (!refusal.isInstance(e)) {
                    throw new AssertionError(which + ": " + e.getClass().getName() + " instead of "
                            + refusal.getSimpleName() + ": " + e.getMessage(), e);
                }
                if (e.getMessage() == null || e.getMessage().isBlank()) {
                    fail(which + ": refused without a message");
                }
            } catch (AssertionError e) {
                throw new AssertionError(which + ": loaded inconsistently: " + e.getMessage(), e);
            } catch (Throwable e) {
                throw new AssertionError(which + ": " + e, e);
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < MAX_MILLIS_PER_MUTANT, which + " took " + millis + " ms");
        }
        System.out.println(kind + ": " + MUTANTS + " mutants, " + loaded + " loaded, " + (MUTANTS - loaded)
                + " refused");
    }

    // ------------------------------------------------------------------ mutators

    /** One byte-level change, at a position below {@code focus} two times in three (headers are short). */
    private static byte[] mutateBytes(byte[] original, Random r, int focus) {
        int n = original.length;
        int at = r.nextInt(3) > 0 ? r.nextInt(Math.max(1, Math.min(focus, n))) : r.nextInt(n);
        switch (r.nextInt(6)) {
            case 0: {
                byte[] b = original.clone();
                b[at] ^= (byte) (1 << r.nextInt(8));
                return b;
            }
            case 1: {
                byte[] b = original.clone();
                b[at] = (byte) r.nextInt(256);
                return b;
            }
            case 2:
                return Arrays.copyOf(original, at);
            case 3: {
                byte[] extra = new byte[1 + r.nextInt(16)];
                r.nextBytes(extra);
                return splice(original, at, at, extra);
            }
            case 4:
                return splice(original, at, Math.min(n, at + 1 + r.nextInt(16)), new byte[0]);
            default: {
                // An extreme 8-byte little-endian integer: length prefixes and counts at their limits.
                byte[] b = original.clone();
                long[] extremes = {0, -1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32, Integer.MAX_VALUE};
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(Math.min(at, n - 8),
                        extremes[r.nextInt(extremes.length)]);
                return b;
            }
        }
    }

    private static byte[] splice(byte[] b, int from, int to, byte[] insert) {
        byte[] out = new byte[b.length - (to - from) + insert.length];
        System.arraycopy(b, 0, out, 0, from);
        System.arraycopy(insert, 0, out, from, insert.length);
        System.arraycopy(b, to, out, from + insert.length, b.length - to);
        return out;
    }

    private static int headerEnd(byte[] safetensors) {
        return 8 + (int) ByteBuffer.wrap(safetensors).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    private static JsonNode randomValue(Random r) {
        switch (r.nextInt(12)) {
            case 0: return NODES.numberNode(0);
            case 1: return NODES.numberNode(-1);
            case 2: return NODES.numberNode(1L << (20 + r.nextInt(44)));
            case 3: return NODES.numberNode(Long.MAX_VALUE);
            case 4: return NODES.numberNode(1.5);
            case 5: return NODES.numberNode(r.nextInt(300));
            case 6: return NODES.textNode(r.nextBoolean() ? "all" : "");
            case 7: return NODES.nullNode();
            case 8: return NODES.arrayNode().add(r.nextInt(5));
            case 9: return NODES.objectNode();
            case 10: return NODES.booleanNode(r.nextBoolean());
            default: return NODES.numberNode(1e308 * (r.nextBoolean() ? 10 : 1));
        }
    }

    private static byte[] mutateSafetensorsHeader(byte[] original, Random r) {
        int end = headerEnd(original);
        ObjectNode header = readObject(Arrays.copyOfRange(original, 8, end));
        List<String> names = new ArrayList<>();
        header.fieldNames().forEachRemaining(names::add);
        names.remove("__metadata__");
        String name = names.get(r.nextInt(names.size()));
        ObjectNode entry = (ObjectNode) header.get(name);
        int what = r.nextInt(7);
        if (what == 0) {
            String[] dtypes = {"F64", "F32", "F16", "BF16", "I64", "I32", "U8", "BOOL", "f64", ""};
            entry.put("dtype", dtypes[r.nextInt(dtypes.length)]);
        } else if (what == 1) {
            ArrayNode shape = (ArrayNode) entry.get("shape");
            if (shape.size() > 0 && r.nextBoolean()) {
                shape.set(r.nextInt(shape.size()), randomValue(r));
            } else if (r.nextBoolean() && shape.size() > 0) {
                shape.remove(r.nextInt(shape.size()));
            } else {
                shape.add(randomValue(r));
            }
        } else if (what == 2) {
            ArrayNode offsets = (ArrayNode) entry.get("data_offsets");
            offsets.set(r.nextInt(2), r.nextBoolean() ? randomValue(r)
                    : NODES.numberNode(offsets.get(r.nextInt(2)).asLong() + r.nextInt(17) - 8));
        } else if (what == 3) {
            // A same-count reshape: the transposed or permuted shape, which only the configuration can tell apart.
            ArrayNode shape = (ArrayNode) entry.get("shape");
            List<JsonNode> dims = new ArrayList<>();
            shape.forEach(dims::add);
            Collections.shuffle(dims, r);
            shape.removeAll();
            dims.forEach(shape::add);
        } else if (what == 4) {
            Iterator<String> fields = entry.fieldNames();
            entry.remove(fields.next());
        } else if (what == 5) {
            header.set(names.get(r.nextInt(names.size())), randomValue(r));
        } else {
            header.set("extra." + r.nextInt(10), entry.deepCopy());
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + original.length - end).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json).put(original, end, original.length - end);
        return out.array();
    }

    private static byte[] mutateNpyHeader(byte[] original, Random r) {
        int headerLength = ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getShort(8) & 0xFFFF;
        String header = new String(original, 10, headerLength, StandardCharsets.ISO_8859_1);
        String[] descrs = {"<f8", "<f4", ">f8", "<i8", "<i4", "|u1", "<c16", "<f2", "", "=f8"};
        String[] tuples = {"()", "(0,)", "(-1, 3)", "(4611686018427387904, 4)", "(2, 8, 32)", "(1,)",
                "(" + (1L << 40) + ",)", "(99999999999999999999,)", "(2, x)", "(2, 16, 16, 1, 1)"};
        switch (r.nextInt(4)) {
            case 0:
                header = header.replaceFirst("'descr': '[^']*'", "'descr': '" + descrs[r.nextInt(descrs.length)] + "'");
                break;
            case 1:
                header = header.replaceFirst("'shape': \\([^)]*\\)", "'shape': " + tuples[r.nextInt(tuples.length)]);
                break;
            case 2:
                header = header.replaceFirst("'fortran_order': \\w+", "'fortran_order': "
                        + (r.nextBoolean() ? "True" : "Maybe"));
                break;
            default:
                header = header.substring(0, r.nextInt(header.length()));
                break;
        }
        byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(10 + h.length + original.length - 10 - headerLength)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.put(original, 0, 8).putShort((short) h.length).put(h)
                .put(original, 10 + headerLength, original.length - 10 - headerLength);
        return out.array();
    }

    private static byte[] mutateConfig(byte[] original, Random r) {
        ObjectNode root = readObject(original);
        List<ObjectNode> objects = new ArrayList<>();
        collectObjects(root, objects);
        ObjectNode target = objects.get(r.nextInt(objects.size()));
        List<String> keys = new ArrayList<>();
        target.fieldNames().forEachRemaining(keys::add);
        String[] known = {"num_blocks", "embedding_dim", "slstm_at", "context_length", "num_heads",
                "conv1d_kernel_size", "qkv_proj_blocksize", "proj_factor", "round_proj_up_to_multiple_of",
                "feedforward", "mlstm", "slstm", "bias", "dropout", "act_fn", "backend", "bias_init"};
        if (keys.isEmpty() || r.nextInt(4) == 0) {
            target.set(known[r.nextInt(known.length)], randomValue(r));
        } else if (r.nextInt(5) == 0) {
            target.remove(keys.get(r.nextInt(keys.size())));
        } else {
            target.set(keys.get(r.nextInt(keys.size())), randomValue(r));
        }
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void collectObjects(JsonNode node, List<ObjectNode> out) {
        if (node instanceof ObjectNode) {
            out.add((ObjectNode) node);
            node.forEach(child -> collectObjects(child, out));
        }
    }

    private static ObjectNode readObject(byte[] json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("conformance file is not JSON", e);
        }
    }
}
