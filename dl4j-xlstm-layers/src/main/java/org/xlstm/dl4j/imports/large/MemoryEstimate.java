package org.xlstm.dl4j.imports.large;

import org.bytedeco.javacpp.Pointer;

/**
 * What loading a model needs, in bytes, against what this JVM may still allocate: ND4J arrays live off the
 * Java heap (bounded by JavaCPP's {@code maxBytes}, by default the heap limit), while the reader stages one
 * tensor at a time as a Java array on the heap.
 */
public final class MemoryEstimate {
    private final long parameterBytes;
    private final long stateBytes;
    private final long stagingOffHeapBytes;
    private final long stagingHeapBytes;

    MemoryEstimate(long parameterBytes, long stateBytes, long stagingOffHeapBytes, long stagingHeapBytes) {
        this.parameterBytes = parameterBytes;
        this.stateBytes = stateBytes;
        this.stagingOffHeapBytes = stagingOffHeapBytes;
        this.stagingHeapBytes = stagingHeapBytes;
    }

    /** Parameters times the bytes of the network's data type. */
    public long parameterBytes() {
        return parameterBytes;
    }

    /** The recurrent state of all blocks for one sequence. */
    public long stateBytes() {
        return stateBytes;
    }

    /** Off-heap bytes: parameters, state, and the largest tensor twice (decoded, then laid out). */
    public long offHeapBytes() {
        return parameterBytes + stateBytes + stagingOffHeapBytes;
    }

    /** Heap bytes: the largest tensor as a Java array while it is decoded. */
    public long heapBytes() {
        return stagingHeapBytes;
    }

    /** Throws {@link ModelTooLargeException} when this JVM's limits leave too little room for the load. */
    public void requireFits() {
        long maxOffHeap = Pointer.maxBytes();
        long freeOffHeap = maxOffHeap - Pointer.totalBytes();
        if (maxOffHeap > 0 && offHeapBytes() > freeOffHeap) {
            throw new ModelTooLargeException("the model needs about " + mib(offHeapBytes()) + " MiB off the Java heap ("
                    + mib(parameterBytes) + " MiB parameters, " + mib(stateBytes) + " MiB state, "
                    + mib(stagingOffHeapBytes) + " MiB staging) but only " + mib(freeOffHeap) + " MiB of "
                    + mib(maxOffHeap) + " MiB are free (JavaCPP maxBytes: raise it with"
                    + " -Dorg.bytedeco.javacpp.maxbytes=... or -Xmx, or load in a smaller data type)");
        }
        Runtime rt = Runtime.getRuntime();
        long freeHeap = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (heapBytes() > freeHeap) {
            throw new ModelTooLargeException("reading the largest tensor needs about " + mib(heapBytes())
                    + " MiB of Java heap but only " + mib(freeHeap) + " MiB are free (raise -Xmx)");
        }
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    @Override
    public String toString() {
        return "MemoryEstimate{offHeap=" + mib(offHeapBytes()) + " MiB (parameters " + mib(parameterBytes)
                + ", state " + mib(stateBytes) + ", staging " + mib(stagingOffHeapBytes) + "), heap="
                + mib(stagingHeapBytes) + " MiB}";
    }
}
