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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class NpyIOTest {

    static final Path CONFORMANCE = SafetensorsTest.CONFORMANCE;

    @TempDir
    Path tmp;

    /** A version-1 .npy file as numpy writes it: magic, version, header padded with spaces and '\n'. */
    static byte[] npy(String dict, byte[] data) {
        int unpadded = 10 + dict.length() + 1;
        int padding = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(padding) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    static byte[] doubles(ByteOrder order, double... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(order);
        for (double v : values) {
            b.putDouble(v);
        }
        return b.array();
    }

    Path write(String name, byte[] content) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, content);
        return p;
    }

    @Test
    void readsConformanceInputs() {
        INDArray tokens = NpyIO.read(CONFORMANCE.resolve("lm_mixed/input.npy"));
        assertEquals(DataType.LONG, tokens.dataType());
        assertArrayEquals(new long[] {2, 16}, tokens.shape());
        assertEquals(24, tokens.getLong(0, 0));
        assertEquals(5, tokens.getLong(0, 1));
        assertEquals(18, tokens.getLong(0, 2));
        INDArray x = NpyIO.read(CONFORMANCE.resolve("mixed_3_1/input.npy"));
        assertEquals(DataType.DOUBLE, x.dataType());
        assertArrayEquals(new long[] {3, 32, 32}, x.shape());
        assertEquals(0.42260002, x.getDouble(0, 0, 0), 1e-8);
        assertEquals(-0.94575227, x.getDouble(0, 0, 1), 1e-8);
        INDArray m = NpyIO.read(CONFORMANCE.resolve("cells/mlstm_final_m.npy"));
        assertArrayEquals(new long[] {2, 3}, m.shape());
        assertEquals(4.02795778, m.getDouble(0, 0), 1e-8);
    }

    @Test
    void readsFortranOrderBigEndianFloat32AndScalars() throws IOException {
        // Fortran order: the data lists columns first, so [[1, 2, 3], [4, 5, 6]] is stored 1 4 2 5 3 6.
        INDArray f = NpyIO.read(write("f.npy", npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
                doubles(ByteOrder.LITTLE_ENDIAN, 1, 4, 2, 5, 3, 6))));
        assertEquals(Nd4j.create(new double[] {1, 2, 3, 4, 5, 6}, new long[] {2, 3}, 'c'), f);
        assertEquals('c', f.ordering());
        INDArray be = NpyIO.read(write("be.npy", npy("{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }",
                doubles(ByteOrder.BIG_ENDIAN, 1.5, -2, 1e300))));
        assertArrayEquals(new double[] {1.5, -2, 1e300}, be.toDoubleVector(), 0.0);
        ByteBuffer f32 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(0.25f).putFloat(-8f);
        INDArray fl = NpyIO.read(write("f32.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }",
                f32.array())));
        assertEquals(DataType.FLOAT, fl.dataType());
        assertArrayEquals(new float[] {0.25f, -8f}, fl.reshape(2).toFloatVector(), 0f);
        INDArray scalar = NpyIO.read(write("s.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
                doubles(ByteOrder.LITTLE_ENDIAN, 3.25))));
        assertEquals(0, scalar.rank());
        assertEquals(3.25, scalar.getDouble(0), 0.0);
    }

    @Test
    void writeThenReadRoundTripsViewsAndTypes() {
        INDArray m = Nd4j.create(new double[] {1, 2, 3, 4, 5, 6}, new long[] {2, 3}, 'c');
        INDArray[] arrays = {m, m.transpose(), m.dup('f'), m.castTo(DataType.FLOAT), m.castTo(DataType.LONG),
                m.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1))};
        for (int i = 0; i < arrays.length; i++) {
            Path p = tmp.resolve("rt" + i + ".npy");
            NpyIO.write(arrays[i], p);
            INDArray back = NpyIO.read(p);
            assertEquals(arrays[i].dataType(), back.dataType(), "case " + i);
            assertEquals(arrays[i], back, "case " + i);
        }
    }

    private void refused(byte[] content, String... fragments) throws IOException {
        Path p = write("bad.npy", content);
        WeightFileException e = assertThrows(WeightFileException.class, () -> NpyIO.read(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
    }

    @Test
    void malformedFilesAreRefusedWithoutCrashing() throws IOException {
        refused(new byte[] {1, 2, 3, 4, 5}, "too short");
        refused("PK\u0003\u0004 not numpy at all".getBytes(StandardCharsets.ISO_8859_1), "magic");
        refused(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
                doubles(ByteOrder.LITTLE_ENDIAN, 1, 2, 3)), "truncated", "needs 48", "holds 24");
        refused(npy("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", new byte[16]),
                "unsupported .npy dtype '<c16'");
        refused(npy("{'descr': '<f8', 'shape': (1,), }", new byte[8]), "malformed .npy header");
        byte[] longHeader = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", new byte[8]);
        ByteBuffer.wrap(longHeader).order(ByteOrder.LITTLE_ENDIAN).putShort(8, (short) 4000);
        refused(longHeader, "runs past the end");
        assertThrows(WeightFileException.class, () -> NpyIO.read(tmp.resolve("missing.npy")));
    }
}
