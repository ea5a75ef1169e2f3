package org.xlstm.dl4j.imports;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Opens .safetensors files: an 8-byte little-endian header length, a JSON header mapping tensor
 * names to {dtype, shape, data_offsets} (offsets relative to the end of the header), an optional
 * {@code __metadata__} string map, then the raw little-endian data. The whole header is validated
 * up front so that a broken file fails at open, not halfway through an import.
 */
public final class SafetensorsReader {

    /** Real headers are a few MB even for billion-parameter models; larger claims are corruption. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final String METADATA_KEY = "__metadata__";

    private SafetensorsReader() {
    }

    /** Opens and validates {@code path}; the caller closes the returned file. */
    public static SafetensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new WeightFileException(path + ": cannot open safetensors file: " + e.getMessage(), e);
        }
        try {
            return parse(path, channel);
        } catch (RuntimeException e) {
            closeQuietly(channel, e);
            throw e;
        }
    }

    private static SafetensorsFile parse(Path path, FileChannel channel) {
        long fileSize = size(path, channel);
        if (fileSize < 8) {
            throw new WeightFileException(path + ": file is " + fileSize
                    + " bytes, shorter than the 8-byte header length field");
        }
        ByteBuffer lengthField = readFully(path, channel, 0, 8);
        long headerLength = lengthField.order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new WeightFileException(path + ": header length " + Long.toUnsignedString(headerLength)
                    + " exceeds the cap of " + MAX_HEADER_BYTES + " bytes");
        }
        if (8 + headerLength > fileSize) {
            throw new WeightFileException(path + ": header length " + headerLength
                    + " runs past the end of the file (file size " + fileSize + ", header needs "
                    + (8 + headerLength) + ")");
        }
        ByteBuffer headerBytes = readFully(path, channel, 8, (int) headerLength);
        String headerText = StandardCharsets.UTF_8.decode(headerBytes).toString();
        JsonNode header;
        try {
            header = new ObjectMapper().readTree(headerText);
        } catch (JsonProcessingException e) {
            throw new WeightFileException(path + ": header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (header == null || !header.isObject()) {
            throw new WeightFileException(path + ": header must be a JSON object, got "
                    + (header == null ? "nothing" : header.getNodeType()));
        }
        long dataStart = 8 + headerLength;
        long dataSize = fileSize - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorEntry> entries = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (METADATA_KEY.equals(field.getKey())) {
                readMetadata(path, field.getValue(), metadata);
            } else {
                entries.add(readEntry(path, field.getKey(), field.getValue(), dataStart, dataSize));
            }
        }
        checkNoOverlap(path, entries, dataStart);
        return new SafetensorsFile(path, channel, entries, metadata);
    }

    private static void readMetadata(Path path, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw new WeightFileException(path + ": " + METADATA_KEY + " must be an object of strings, got "
                    + node.getNodeType());
        }
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new WeightFileException(path + ": " + METADATA_KEY + "." + e.getKey()
                        + " must be a string, got " + e.getValue().getNodeType());
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static TensorEntry readEntry(Path path, String name, JsonNode node, long dataStart, long dataSize) {
        String where = path + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new WeightFileException(where + ": expected an object with dtype, shape, data_offsets, got "
                    + node.getNodeType());
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new WeightFileException(where + ": missing or non-string dtype");
        }
        SafetensorsDtype dtype = SafetensorsDtype.fromHeaderName(dtypeNode.textValue());
        if (dtype == null) {
            throw new WeightFileException(where + ": unknown dtype '" + dtypeNode.textValue()
                    + "', expected one of " + Arrays.toString(SafetensorsDtype.values()));
        }
        long[] shape = readLongArray(where, node.get("shape"), "shape", -1);
        long[] offsets = readLongArray(where, node.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new WeightFileException(where + ": data_offsets out of order: begin " + begin + " > end " + end);
        }
        if (end > dataSize) {
            throw new WeightFileException(where + ": data_offsets [" + begin + ", " + end
                    + "] run past the end of the data section (" + dataSize + " bytes): file truncated or offsets wrong");
        }
        long elements = 1;
        try {
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            long expectedBytes = Math.multiplyExact(elements, (long) dtype.byteSize());
            if (expectedBytes != end - begin) {
                throw new WeightFileException(where + ": shape " + Arrays.toString(shape) + " of " + dtype
                        + " needs " + expectedBytes + " bytes, but data_offsets span " + (end - begin));
            }
        } catch (ArithmeticException e) {
            throw new WeightFileException(where + ": shape " + Arrays.toString(shape) + " overflows a 64-bit size", e);
        }
        return new TensorEntry(name, dtype, shape, dataStart + begin, dataStart + end);
    }

    /** Reads a JSON array of non-negative integers; {@code requiredLength} < 0 accepts any length. */
    private static long[] readLongArray(String where, JsonNode node, String key, int requiredLength) {
        if (node == null || !node.isArray()) {
            throw new WeightFileException(where + ": missing or non-array " + key);
        }
        if (requiredLength >= 0 && node.size() != requiredLength) {
            throw new WeightFileException(where + ": " + key + " must have " + requiredLength
                    + " entries, got " + node.size());
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new WeightFileException(where + ": " + key + "[" + i
                        + "] must be a non-negative integer, got " + v);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    private static void checkNoOverlap(Path path, List<TensorEntry> entries, long dataStart) {
        List<TensorEntry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong((TensorEntry e) -> e.begin).thenComparingLong(e -> e.end));
        for (int i = 1; i < sorted.size(); i++) {
            TensorEntry prev = sorted.get(i - 1);
            TensorEntry cur = sorted.get(i);
            if (cur.begin < prev.end) {
                throw new WeightFileException(path + ": data of tensors '" + prev.name + "' ["
                        + (prev.begin - dataStart) + ", " + (prev.end - dataStart) + ") and '" + cur.name + "' ["
                        + (cur.begin - dataStart) + ", " + (cur.end - dataStart) + ") overlap");
            }
        }
    }

    private static long size(Path path, FileChannel channel) {
        try {
            return channel.size();
        } catch (IOException e) {
            throw new WeightFileException(path + ": cannot determine file size: " + e.getMessage(), e);
        }
    }

    /** Reads exactly {@code length} bytes at {@code position}; the result is flipped for reading. */
    static ByteBuffer readFully(Path path, FileChannel channel, long position, int length) {
        ByteBuffer buf = ByteBuffer.allocate(length);
        try {
            while (buf.hasRemaining()) {
                int n = channel.read(buf, position + buf.position());
                if (n < 0) {
                    throw new WeightFileException(path + ": unexpected end of file at byte "
                            + (position + buf.position()) + " (needed " + length + " bytes from " + position + ")");
                }
            }
        } catch (IOException e) {
            throw new WeightFileException(path + ": read failed at byte " + position + ": " + e.getMessage(), e);
        }
        buf.flip();
        return buf;
    }

    private static void closeQuietly(FileChannel channel, RuntimeException primary) {
        try {
            channel.close();
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }
}
