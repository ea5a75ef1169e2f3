package org.xlstm.samples;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.conf.XlstmLayerNorm;
import org.xlstm.dl4j.runtime.NativeHeap;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A long streaming run: rnnTimeStep of a mixed mLSTM/sLSTM stack, one token at a time with random input, checking
 * that every output is finite, that heap and off-heap memory stay flat, and that a recorded segment replays to the
 * same outputs after a state reset; prints the step latency distribution.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = {"Streams --steps rnnTimeStep calls through a mixed mLSTM/sLSTM stack (or --model lstm: DL4J's"
                + " LSTM) (float32, random input)"
                + " and checks: every output finite; heap (after GC) and off-heap resident memory (less the JVM's"
                + " JIT/metaspace) within --tolerance of their values after --baseline-after steps, read with the JIT"
                + " compilers idle (glibc's allocated bytes, mallinfo2, are printed beside them); the first --replay"
                + " steps, replayed from a cleared state every --replay-every steps, give the same outputs. Prints p50/p99/max step latency."
                + " Exit code 1 when a check fails."})
public final class SoakCommand implements Callable<Integer> {

    @Option(names = "--steps", defaultValue = "1000000", description = "time steps (default: ${DEFAULT-VALUE})")
    private int steps;

    @Option(names = "--size", defaultValue = "64", description = "embedding size (default: ${DEFAULT-VALUE})")
    private int size;

    @Option(names = "--baseline-after", defaultValue = "10000",
            description = "steps after which memory is measured as the baseline (default: ${DEFAULT-VALUE})")
    private int baselineAfter;

    @Option(names = "--tolerance", defaultValue = "0.05",
            description = "allowed relative memory growth over the baseline (default: ${DEFAULT-VALUE})")
    private double tolerance;

    @Option(names = "--replay", defaultValue = "200", description = "length of the replayed segment (default: ${DEFAULT-VALUE})")
    private int replay;

    @Option(names = "--replay-every", defaultValue = "100000",
            description = "steps between replay checks, and the last step (default: ${DEFAULT-VALUE})")
    private int replayEvery;

    @Option(names = "--seed", defaultValue = "1", description = "random seed (default: ${DEFAULT-VALUE})")
    private long seed;

    @Option(names = "--malloc-trim-threshold", defaultValue = "131072",
            description = "glibc's trim threshold for this process in bytes (mallopt), so that C heap the JVM's"
                    + " threads freed is not kept resident; -1 leaves glibc's own, rising threshold"
                    + " (default: ${DEFAULT-VALUE})")
    private long mallocTrimThreshold;

    /** The xLSTM stack, or DL4J's own recurrent layers for comparison under the same loop and measures. */
    enum Model { xlstm, lstm }

    @Option(names = "--model", defaultValue = "xlstm",
            description = "xlstm: mLSTM, sLSTM, mLSTM blocks and a LayerNorm; lstm: two DL4J LSTM layers of --size"
                    + " units, for comparison (default: ${DEFAULT-VALUE})")
    private Model model;

    /** Distinct random inputs, drawn in a seeded order: random input without a per-step allocation. */
    private static final int INPUTS = 4096;

    @Override
    public Integer call() {
        if (steps <= baselineAfter || replay > baselineAfter || replay < 1) {
            throw new IllegalArgumentException("need --replay (" + replay + ") in [1, --baseline-after ("
                    + baselineAfter + ")] and --baseline-after < --steps (" + steps + ")");
        }
        if (mallocTrimThreshold < -1 || mallocTrimThreshold > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("soak: --malloc-trim-threshold must be -1 (glibc's own) or 0 to "
                    + Integer.MAX_VALUE + " bytes, got " + mallocTrimThreshold);
        }
        if (mallocTrimThreshold >= 0) {
            System.out.println(MallocTrimThreshold.set((int) mallocTrimThreshold)
                    ? String.format("glibc trim threshold fixed at %,d bytes for this process", mallocTrimThreshold)
                    : "glibc trim threshold left as it is (not glibc, or mallopt refused " + mallocTrimThreshold + ")");
        }
        MultiLayerNetwork net = network();
        Nd4j.getRandom().setSeed(seed);
        INDArray[] inputs = new INDArray[INPUTS];
        for (int i = 0; i < INPUTS; i++) {
            inputs[i] = Nd4j.randn(DataType.FLOAT, 1, size, 1);
        }
        int[] order = new int[steps];
        java.util.Random random = new java.util.Random(seed);
        for (int t = 0; t < steps; t++) {
            order[t] = random.nextInt(INPUTS);
        }
        List<INDArray> recorded = new ArrayList<>();
        long[] nanos = new long[steps];
        Reading baseline = null;
        List<String> failures = new ArrayList<>();
        long started = System.nanoTime();
        for (int t = 0; t < steps; t++) {
            long t0 = System.nanoTime();
            INDArray out = net.rnnTimeStep(inputs[order[t]]);
            nanos[t] = System.nanoTime() - t0;
            if (!allFinite(out)) {
                failures.add("step " + t + ": non-finite output");
                break;
            }
            if (t < replay) {
                recorded.add(out.dup());
            }
            if (t + 1 == baselineAfter) {
                baseline = memory();
                System.out.printf("baseline after %,d steps: heap %,d bytes, off-heap resident %,d bytes%s%n",
                        baselineAfter, baseline.heap, baseline.offHeap, baseline.note());
            }
            if ((t + 1) % replayEvery == 0 || t + 1 == steps) {
                String replayed = replay(net, inputs, order, recorded);
                if (replayed != null) {
                    failures.add("step " + (t + 1) + ": " + replayed);
                    break;
                }
                Reading now = memory();
                System.out.printf("%,d steps, %.1f s, replay ok, heap %,d, off-heap %,d bytes%s%n", t + 1,
                        (System.nanoTime() - started) / 1e9, now.heap, now.offHeap, now.note());
            }
        }
        Reading end = memory();
        if (baseline != null) {
            check(failures, "heap", baseline.heap, end.heap);
            check(failures, "off-heap resident", baseline.offHeap, end.offHeap);
            if (MallocInUse.available()) {
                // Not checked, shown to tell allocation from retention: glibc keeps, resident, C heap the JVM's
                // compiler and VM threads have freed, and the JVM's own allocations (G1's remembered sets, compiler
                // arena chunks) move this figure by a few MB (docs/memory.md, "What the soak's off-heap reading holds").
                System.out.printf("off-heap allocated (malloc in use, not checked): %,d -> %,d bytes (%+.2f%%)%n",
                        baseline.mallocInUse, end.mallocInUse, growth(baseline.mallocInUse, end.mallocInUse) * 100);
            }
        }
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("steps %,d  latency p50 %.1f us  p99 %.1f us  max %.1f us  (%.1f s in all)%n", steps,
                sorted[steps / 2] / 1e3, sorted[(int) (steps * 0.99)] / 1e3, sorted[steps - 1] / 1e3,
                (System.nanoTime() - started) / 1e9);
        System.out.printf("memory at the end: heap %,d bytes, off-heap resident %,d bytes%s%n", end.heap, end.offHeap,
                end.note());
        failures.forEach(f -> System.out.println("FAILED " + f));
        System.out.println(failures.isEmpty() ? "soak ok" : "soak FAILED");
        return failures.isEmpty() ? 0 : 1;
    }

    /**
     * Checked on a heap copy of the output rather than with an ND4J reduction, whose result array would be one more
     * native buffer per step for ND4J's deallocator threads to free after a GC: the soak should measure the
     * library's memory, not its own.
     */
    private static boolean allFinite(INDArray out) {
        for (float v : out.data().asFloat()) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private MultiLayerNetwork network() {
        NeuralNetConfiguration.ListBuilder layers = new NeuralNetConfiguration.Builder().seed(seed)
                .dataType(DataType.FLOAT).updater(new NoOp()).list();
        if (model == Model.lstm) {
            layers.layer(new LSTM.Builder().nOut(size).build()).layer(new LSTM.Builder().nOut(size).build());
        } else {
            layers.layer(new MLSTMBlock.Builder().numHeads(4).build())
                    .layer(new SLSTMBlock.Builder().numHeads(4).build())
                    .layer(new MLSTMBlock.Builder().numHeads(4).build())
                    .layer(new XlstmLayerNorm.Builder().build());
        }
        MultiLayerNetwork net = new MultiLayerNetwork(layers.setInputType(InputType.recurrent(size)).build());
        net.init();
        return net;
    }

    /** Clears the state, replays the recorded segment, compares, and puts the live state back. */
    private static String replay(MultiLayerNetwork net, INDArray[] inputs, int[] order, List<INDArray> recorded) {
        List<Map<String, INDArray>> live = new ArrayList<>();
        for (int i = 0; i < net.getnLayers(); i++) {
            live.add(net.rnnGetPreviousState(i));
        }
        net.rnnClearPreviousState();
        String mismatch = null;
        for (int t = 0; t < recorded.size() && mismatch == null; t++) {
            INDArray again = net.rnnTimeStep(inputs[order[t]]);
            if (!again.equals(recorded.get(t))) {
                mismatch = "replayed step " + t + " differs from the recorded output";
            }
        }
        for (int i = 0; i < live.size(); i++) {
            net.rnnSetPreviousState(i, live.get(i));
        }
        return mismatch;
    }

    /**
     * One memory reading: heap, off-heap resident, glibc's allocated bytes (-1 where unknown), and the JIT compilers'
     * state when it was taken: idle (no compilation's arenas in the reading) and the JVM's total compilation time so
     * far, which shows how long the JIT kept compiling.
     */
    static final class Reading {
        final long heap;
        final long offHeap;
        final boolean jitIdle;
        final long jitMillis;
        final long mallocInUse;

        Reading(long heap, long offHeap, long mallocInUse, boolean jitIdle, long jitMillis) {
            this.heap = heap;
            this.offHeap = offHeap;
            this.mallocInUse = mallocInUse;
            this.jitIdle = jitIdle;
            this.jitMillis = jitMillis;
        }

        /** The reading's explanation: glibc's allocated bytes where known, and the JIT's state. */
        String note() {
            String malloc = mallocInUse < 0 ? "" : String.format(", malloc in use %,d", mallocInUse);
            String jit = jitIdle ? "idle" : "STILL COMPILING after " + JIT_WAIT_MILLIS / 1000 + " s";
            return malloc + String.format(" (JIT %s, %,d ms compiling so far)", jit, jitMillis);
        }
    }

    /** How long a reading waits for the JIT compilers to finish; they took seconds on the loaded 2-core machine. */
    private static final long JIT_WAIT_MILLIS = 120_000;

    /**
     * Heap in use after a full collection, and the resident memory outside the Java heap ({@link ResidentMemory})
     * less the JVM's committed non-heap: native buffers, workspaces, libraries, thread stacks. Taken when the JIT
     * compilers are idle ({@link JitCompiler}): a compilation in flight holds megabytes of C heap for a moment.
     */
    private static Reading memory() {
        boolean jitIdle = JitCompiler.awaitIdle(JIT_WAIT_MILLIS);
        // ND4J frees native buffers on its own DeallocatorService threads once GC has queued their references.
        // On a loaded machine they drain a backlog of 10^5 dead buffers (a few per step) at only some 10^4 per
        // second, so a fixed pause counted garbage as memory in use. Collect until the heap in use stops falling
        // (the queued references and their native buffers are gone), for at most a minute.
        long previous = Long.MAX_VALUE;
        for (int round = 0; round < 60; round++) {
            System.gc();
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long used = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            if (used > previous * 0.99) {
                break;
            }
            previous = used;
        }
        // glibc keeps freed chunks until it trims (the layers have it trim every 65,536 layer steps), so without
        // this the reading depends on how long ago the last trim was (90-115 MB around the same level in one run):
        // what is measured is memory held, which a leak would grow, not free memory waiting to be returned.
        NativeHeap.releaseFreePages();
        Runtime rt = Runtime.getRuntime();
        // The JVM's own non-heap (JIT code cache, metaspace) keeps growing while the JIT compiles during the first
        // tens of thousands of steps; it is not the library's memory, so it is left out with the heap.
        long jvmNonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage().getCommitted();
        return new Reading(rt.totalMemory() - rt.freeMemory(), ResidentMemory.outsideHeap() - jvmNonHeap,
                MallocInUse.bytes(), jitIdle,
                ManagementFactory.getCompilationMXBean().getTotalCompilationTime());
    }

    private void check(List<String> failures, String what, long baseline, long end) {
        double growth = growth(baseline, end);
        System.out.printf("%s: %,d -> %,d bytes (%+.2f%%)%n", what, baseline, end, growth * 100);
        if (growth > tolerance) {
            failures.add(what + " grew " + String.format("%.2f%%", growth * 100) + " over the baseline");
        }
    }

    private static double growth(long baseline, long end) {
        return (end - baseline) / (double) baseline;
    }
}
