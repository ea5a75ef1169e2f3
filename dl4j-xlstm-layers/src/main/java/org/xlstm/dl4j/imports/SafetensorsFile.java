package org.xlstm.dl4j.imports;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An open, header-validated safetensors file (see {@link SafetensorsReader#open(Path)}). Tensor data
 * is read on demand, one tensor at a time, so a multi-GB checkpoint is never held in memory whole.
 * Not thread-safe; close it when done.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Bounded staging buffer: decoding goes chunk by chunk instead of duplicating a whole tensor. */
    private static final int CHUNK_BYTES = 8 * 1024 * 1024;

    private final Path path;
    private final FileChannel channel;
    private final Map<String, TensorEntry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata;

    SafetensorsFile(Path path, FileChannel channel, List<TensorEntry> entries, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        for (TensorEntry e : entries) {
            this.entries.put(e.name, e);
        }
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    public Path path() {
        return path;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(entries.keySet()));
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    public long[] shape(String name) {
        return entry(name).shape.clone();
    }

    public SafetensorsDtype dtype(String name) {
        return entry(name).dtype;
    }

    public long elementCount(String name) {
        return entry(name).elementCount();
    }

    /** Sum of all tensors' element counts: the parameter count of a state dict. */
    public long totalElementCount() {
        long total = 0;
        for (TensorEntry e : entries.values()) {
            total += e.elementCount();
        }
        return total;
    }

    /** The optional {@code __metadata__} string map (empty when the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Reads tensor {@code name} as a c-order array of {@code target} type. Floating-point data may be
     * read as any floating-point type; integer data (I64, I32) as any type. Reading floating-point
     * data as an integer type is refused because it would silently truncate weights.
     */
    public INDArray get(String name, DataType target) {
        TensorEntry e = entry(name);
        long count = e.elementCount();
        if (count > Integer.MAX_VALUE - 8) {
            throw new WeightFileException(path + ": tensor '" + name + "' has " + count
                    + " elements, more than a Java array can stage");
        }
        if (count == 0) {
            return Nd4j.create(target, e.shape);
        }
        int n = (int) count;
        if (!e.dtype.isFloatingPoint()) {
            long[] values = new long[n];
            decode(e, (buf, i) -> values[i] = e.dtype.readLong(buf));
            return Nd4j.createFromArray(values).reshape('c', e.shape).castTo(target);
        }
        if (!target.isFPType()) {
            throw new WeightFileException(path + ": tensor '" + name + "' is " + e.dtype
                    + " and cannot be read as the non-floating-point type " + target);
        }
        if (target == DataType.DOUBLE) {
            double[] values = new double[n];
            decode(e, (buf, i) -> values[i] = e.dtype.readDouble(buf));
            return Nd4j.create(values, e.shape, 'c');
        }
        float[] values = new float[n];
        decode(e, (buf, i) -> values[i] = (float) e.dtype.readDouble(buf));
        INDArray asFloat = Nd4j.create(values, e.shape, 'c');
        return target == DataType.FLOAT ? asFloat : asFloat.castTo(target);
    }

    private interface ElementSink {
        void accept(ByteBuffer buf, int index);
    }

    private void decode(TensorEntry e, ElementSink sink) {
        int elementSize = e.dtype.byteSize();
        int perChunk = CHUNK_BYTES / elementSize;
        int total = (int) e.elementCount();
        for (int first = 0; first < total; first += perChunk) {
            int inChunk = Math.min(perChunk, total - first);
            ByteBuffer buf = SafetensorsReader.readFully(path, channel, e.begin + (long) first * elementSize,
                    inChunk * elementSize).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < inChunk; i++) {
                sink.accept(buf, first + i);
            }
        }
    }

    private TensorEntry entry(String name) {
        TensorEntry e = entries.get(name);
        if (e == null) {
            throw new WeightFileException(path + ": no tensor named '" + name + "' (file has " + entries.size()
                    + " tensors)");
        }
        return e;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new WeightFileException(path + ": close failed: " + e.getMessage(), e);
        }
    }
}
