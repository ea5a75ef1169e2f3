package org.xlstm.dl4j.cuda;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Minimal .npy I/O for the tests: writes little-endian float32, reads float32/float64, C order. */
final class Npy {
    final long[] shape;
    final double[] data;

    Npy(long[] shape, double[] data) {
        this.shape = shape;
        this.data = data;
    }

    static void writeFloat32(Path path, long[] shape, double[] data) throws IOException {
        StringBuilder dims = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            dims.append(shape[i]);
            if (shape.length == 1 || i + 1 < shape.length) dims.append(',');
        }
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
        int total = ((10 + dict.length() + 1 + 63) / 64) * 64;
        StringBuilder header = new StringBuilder(dict);
        while (header.length() < total - 10 - 1) header.append(' ');
        header.append('\n');
        byte[] h = header.toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer buf = ByteBuffer.allocate(10 + h.length + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        buf.putShort((short) h.length);
        buf.put(h);
        for (double d : data) buf.putFloat((float) d);
        Files.write(path, buf.array());
    }

    static Npy read(Path path) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        byte major = buf.get(6);
        int hlen;
        int start;
        if (major == 1) {
            hlen = Short.toUnsignedInt(buf.getShort(8));
            start = 10;
        } else {
            hlen = buf.getInt(8);
            start = 12;
        }
        String header = new String(buf.array(), start, hlen, StandardCharsets.US_ASCII);
        if (!header.contains("'fortran_order': False")) throw new IOException("not C order: " + path);
        boolean f64 = header.contains("'<f8'");
        if (!f64 && !header.contains("'<f4'")) throw new IOException("unsupported dtype: " + header);
        Matcher m = Pattern.compile("'shape': \\(([^)]*)\\)").matcher(header);
        if (!m.find()) throw new IOException("no shape: " + header);
        List<Long> dims = new ArrayList<>();
        for (String tok : m.group(1).split(",")) {
            if (!tok.trim().isEmpty()) dims.add(Long.parseLong(tok.trim()));
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        for (long d : shape) count *= d;
        double[] data = new double[(int) count];
        buf.position(start + hlen);
        for (int i = 0; i < data.length; i++) data[i] = f64 ? buf.getDouble() : buf.getFloat();
        return new Npy(shape, data);
    }
}
