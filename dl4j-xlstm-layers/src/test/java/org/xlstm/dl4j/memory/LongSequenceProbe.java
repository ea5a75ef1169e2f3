package org.xlstm.dl4j.memory;

import static org.xlstm.dl4j.memory.MemoryNetworks.input;

import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.runtime.WorkspaceBudget;

/**
 * Run by {@link LongSequenceMemoryTest} in its own JVM: one forward over a very long sequence, then many
 * ordinary ones, printing native memory ({@link NativeMemory}) as {@code key=bytes} lines. With the argument
 * {@value #COMPARE_UNCAPPED}, the long forward runs once more at the end with the cap lifted, and the largest
 * difference between the two outputs is printed (in units of 1e-9).
 */
public final class LongSequenceProbe {
    static final int LONG_T = 200_000;
    static final int SHORT_T = 64;
    static final int SHORT_PASSES = 100;
    static final String COMPARE_UNCAPPED = "compare-uncapped";
    /** A cap no forward here reaches: the layers run the long forward in one slice. */
    private static final String UNCAPPED = "64g";

    private LongSequenceProbe() {
    }

    public static void main(String[] args) throws Exception {
        Nd4j.getRandom().setSeed(MemoryNetworks.SEED);
        MultiLayerNetwork net = MemoryNetworks.mixedStack(RNNFormat.NCW);
        INDArray shortInput = input(1, SHORT_T);
        INDArray longInput = input(1, LONG_T);
        // Warm-up: ND4J's and DL4J's own lazily created state is not what is measured.
        for (int i = 0; i < 10; i++) {
            net.output(shortInput);
        }
        long before = NativeMemory.settled();
        long peak;
        long start = System.nanoTime();
        float[] output;
        try (NativeMemory.Peak sampler = new NativeMemory.Peak()) {
            INDArray out = net.output(longInput);
            sampler.close();
            peak = sampler.bytes();
            // Kept on the (pre-touched) heap, so that it adds nothing to the native memory measured below.
            output = out.data().asFloat();
            out.close();
        }
        long longMillis = (System.nanoTime() - start) / 1_000_000;
        long heldAfterLong = WorkspaceBudget.held();
        long afterLong = NativeMemory.settled();
        for (int i = 0; i < SHORT_PASSES; i++) {
            net.output(shortInput);
        }
        long end = NativeMemory.settled();
        System.out.println("cap=" + WorkspaceBudget.cap());
        System.out.println("workspaces_after_long=" + heldAfterLong);
        System.out.println("workspaces_end=" + WorkspaceBudget.held());
        System.out.println("long_forward_ms=" + longMillis);
        System.out.println("before=" + before);
        System.out.println("peak=" + peak);
        System.out.println("after_long=" + afterLong);
        System.out.println("end=" + end);
        if (args.length > 0 && args[0].equals(COMPARE_UNCAPPED)) {
            System.setProperty(WorkspaceBudget.PROPERTY, UNCAPPED);
            float[] whole = net.output(longInput).data().asFloat();
            System.out.println("workspaces_uncapped=" + WorkspaceBudget.held());
            if (whole.length != output.length) {
                throw new IllegalStateException("outputs of " + output.length + " and " + whole.length + " values");
            }
            double largest = 0;
            for (int i = 0; i < whole.length; i++) {
                largest = Math.max(largest, Math.abs((double) whole[i] - output[i]));
            }
            System.out.println("uncapped_max_difference_e9=" + Math.round(largest * 1e9));
        }
        System.exit(0);
    }
}
