package org.xlstm.dl4j.imports;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Writes a name -> array map as a .safetensors file: F64 for DOUBLE arrays, F32 for FLOAT arrays.
 * Tensors are laid out in name order and the header is built in that order, so equal inputs give
 * byte-identical files.
 */
public final class SafetensorsWriter {

    private SafetensorsWriter() {
    }

    public static void write(Map<String, INDArray> tensors, Path path) {
        write(tensors, Map.of(), path);
    }

    /** As {@link #write(Map, Path)}, with a {@code __metadata__} string map (omitted when empty). */
    public static void write(Map<String, INDArray> tensors, Map<String, String> metadata, Path path) {
        TreeMap<String, INDArray> sorted = new TreeMap<>(tensors);
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put("__metadata__", new TreeMap<>(metadata));
        }
        long offset = 0;
        for (Map.Entry<String, INDArray> e : sorted.entrySet()) {
            SafetensorsDtype dtype = dtypeOf(e.getKey(), e.getValue());
            long bytes = e.getValue().length() * dtype.byteSize();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", dtype.name());
            entry.put("shape", e.getValue().shape());
            entry.put("data_offsets", List.of(offset, offset + bytes));
            header.put(e.getKey(), entry);
            offset += bytes;
        }
        byte[] json;
        try {
            json = new ObjectMapper().writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("cannot serialize safetensors header", ex);
        }
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(out, head);
            for (Map.Entry<String, INDArray> e : sorted.entrySet()) {
                writeData(out, e.getValue());
            }
        } catch (IOException ex) {
            throw new WeightFileException(path + ": write failed: " + ex.getMessage(), ex);
        }
    }

    private static SafetensorsDtype dtypeOf(String name, INDArray array) {
        if (array.dataType() == DataType.DOUBLE) {
            return SafetensorsDtype.F64;
        }
        if (array.dataType() == DataType.FLOAT) {
            return SafetensorsDtype.F32;
        }
        throw new IllegalArgumentException("tensor '" + name + "': expected a DOUBLE or FLOAT array, got "
                + array.dataType());
    }

    private static void writeData(FileChannel out, INDArray array) throws IOException {
        if (array.isEmpty()) {
            return;
        }
        // dup('c') gives a fresh buffer in row-major order, whatever the source's strides or offset.
        INDArray c = array.dup('c');
        ByteBuffer buf;
        if (c.dataType() == DataType.DOUBLE) {
            double[] values = c.data().asDouble();
            buf = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            buf.asDoubleBuffer().put(values);
        } else {
            float[] values = c.data().asFloat();
            buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(values);
        }
        writeFully(out, buf);
    }

    private static void writeFully(FileChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }
}
