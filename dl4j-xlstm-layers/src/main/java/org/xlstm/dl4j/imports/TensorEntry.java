package org.xlstm.dl4j.imports;

/** One tensor's header record; offsets are absolute file positions, already validated. */
final class TensorEntry {
    final String name;
    final SafetensorsDtype dtype;
    final long[] shape;
    final long begin;
    final long end;

    TensorEntry(String name, SafetensorsDtype dtype, long[] shape, long begin, long end) {
        this.name = name;
        this.dtype = dtype;
        this.shape = shape;
        this.begin = begin;
        this.end = end;
    }

    long elementCount() {
        return (end - begin) / dtype.byteSize();
    }
}
