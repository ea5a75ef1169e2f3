package org.xlstm.dl4j.imports;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads and writes NumPy .npy files.
 *
 * <p>Reading is done here in Java rather than by {@code Nd4j.createFromNpyFile}: in ND4J 1.0.0-M2.1
 * that call reads {@code fortran_order: True} files in the wrong element order, and a big-endian or
 * malformed file trips a native assertion that aborts the whole JVM. Writing wraps
 * {@code Nd4j.toNpyByteArray}, which writes correct files only for a fresh c-order buffer (views and
 * f-order arrays come out in buffer order), so the array is copied to c order first.
 *
 * <p>Supported element types: float64, float32, int64, int32, in either byte order.
 */
public final class NpyIO {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=]?)([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpyIO() {
    }

    /** Reads {@code path} into a c-order array of the file's element type. */
    public static INDArray read(Path path) {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            if (fileSize < 10) {
                throw new WeightFileException(path + ": " + fileSize + " bytes is too short for an .npy file");
            }
            ByteBuffer preamble = SafetensorsReader.readFully(path, channel, 0, 12).order(ByteOrder.LITTLE_ENDIAN);
            for (byte b : MAGIC) {
                if (preamble.get() != b) {
                    throw new WeightFileException(path + ": not an .npy file (missing \\x93NUMPY magic)");
                }
            }
            int major = preamble.get() & 0xFF;
            preamble.get();
            long headerLength;
            int headerStart;
            if (major == 1) {
                headerLength = preamble.getShort() & 0xFFFF;
                headerStart = 10;
            } else if (major == 2 || major == 3) {
                headerLength = preamble.getInt() & 0xFFFFFFFFL;
                headerStart = 12;
            } else {
                throw new WeightFileException(path + ": unsupported .npy format version " + major + ", expected 1, 2 or 3");
            }
            if (headerStart + headerLength > fileSize) {
                throw new WeightFileException(path + ": header length " + headerLength
                        + " runs past the end of the file (size " + fileSize + ")");
            }
            String header = StandardCharsets.ISO_8859_1.decode(
                    SafetensorsReader.readFully(path, channel, headerStart, (int) headerLength)).toString();
            return readData(path, channel, header, headerStart + headerLength, fileSize);
        } catch (IOException e) {
            throw new WeightFileException(path + ": cannot read .npy file: " + e.getMessage(), e);
        }
    }

    private static INDArray readData(Path path, FileChannel channel, String header, long dataStart, long fileSize) {
        Matcher descr = DESCR.matcher(header);
        Matcher fortran = FORTRAN.matcher(header);
        Matcher shapeMatch = SHAPE.matcher(header);
        if (!descr.find() || !fortran.find() || !shapeMatch.find()) {
            throw new WeightFileException(path + ": malformed .npy header (need descr, fortran_order, shape): " + header.trim());
        }
        String kind = descr.group(2);
        if (!kind.equals("f8") && !kind.equals("f4") && !kind.equals("i8") && !kind.equals("i4")) {
            throw new WeightFileException(path + ": unsupported .npy dtype '" + descr.group(1) + kind
                    + "', expected float64, float32, int64 or int32 (f8, f4, i8, i4)");
        }
        ByteOrder order = descr.group(1).equals(">") ? ByteOrder.BIG_ENDIAN
                : descr.group(1).equals("=") ? ByteOrder.nativeOrder() : ByteOrder.LITTLE_ENDIAN;
        long[] shape = parseShape(path, shapeMatch.group(1));
        int elementSize = kind.charAt(1) - '0';
        long count = 1;
        long bytes;
        try {
            for (long d : shape) {
                count = Math.multiplyExact(count, d);
            }
            bytes = Math.multiplyExact(count, (long) elementSize);
        } catch (ArithmeticException e) {
            throw new WeightFileException(path + ": shape " + Arrays.toString(shape) + " overflows a 64-bit size", e);
        }
        if (dataStart + bytes > fileSize) {
            throw new WeightFileException(path + ": shape " + Arrays.toString(shape) + " needs " + bytes
                    + " data bytes but the file holds " + (fileSize - dataStart) + " (truncated)");
        }
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new WeightFileException(path + ": " + bytes + " bytes of data exceed what can be staged in memory");
        }
        DataType type = kind.equals("f8") ? DataType.DOUBLE : kind.equals("f4") ? DataType.FLOAT
                : kind.equals("i8") ? DataType.LONG : DataType.INT;
        if (count == 0) {
            return Nd4j.create(type, shape);
        }
        ByteBuffer data = SafetensorsReader.readFully(path, channel, dataStart, (int) bytes).order(order);
        char ordering = fortran.group(1).equals("True") ? 'f' : 'c';
        INDArray array = toArray(data, type, (int) count).reshape(ordering, shape);
        return ordering == 'c' ? array : array.dup('c');
    }

    private static INDArray toArray(ByteBuffer data, DataType type, int count) {
        switch (type) {
            case DOUBLE: {
                double[] v = new double[count];
                data.asDoubleBuffer().get(v);
                return Nd4j.createFromArray(v);
            }
            case FLOAT: {
                float[] v = new float[count];
                data.asFloatBuffer().get(v);
                return Nd4j.createFromArray(v);
            }
            case LONG: {
                long[] v = new long[count];
                data.asLongBuffer().get(v);
                return Nd4j.createFromArray(v);
            }
            default: {
                int[] v = new int[count];
                data.asIntBuffer().get(v);
                return Nd4j.createFromArray(v);
            }
        }
    }

    private static long[] parseShape(Path path, String tuple) {
        String[] parts = tuple.split(",");
        int rank = 0;
        long[] dims = new long[parts.length];
        for (String part : parts) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            try {
                dims[rank] = Long.parseLong(p.endsWith("L") ? p.substring(0, p.length() - 1) : p);
            } catch (NumberFormatException e) {
                throw new WeightFileException(path + ": malformed shape (" + tuple + ") in .npy header", e);
            }
            if (dims[rank] < 0) {
                throw new WeightFileException(path + ": negative dimension in shape (" + tuple + ")");
            }
            rank++;
        }
        return Arrays.copyOf(dims, rank);
    }

    /** Writes {@code array} as a c-order .npy file in its own element type. */
    public static void write(INDArray array, Path path) {
        try {
            Files.write(path, Nd4j.toNpyByteArray(array.dup('c')));
        } catch (IOException e) {
            throw new WeightFileException(path + ": cannot write .npy file: " + e.getMessage(), e);
        }
    }
}
