package org.xlstm.dl4j.cuda;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.nd4j.jita.allocator.impl.AtomicAllocator;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.jcublas.context.CudaContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Launches the mLSTM kernels on ND4J CUDA arrays, in place, on the calling thread's ND4J stream, following
 * ND4J's own custom-op protocol: flush queued ops, make inputs current on the device, mark outputs as
 * device-written afterwards. Nothing is copied and nothing synchronises; a later host read of an output on
 * this thread waits for the stream like any ND4J op.
 *
 * <p>Arguments are passed as {@link INDArray} (read), {@link Out} (written), {@code null} (a null
 * pointer) or {@link Integer}. Arrays must be c-order with default strides (the kernels index densely).
 */
final class CudaLauncher {

    private CudaLauncher() {
    }

    /** An array the kernel writes. */
    static final class Out {
        final INDArray array;

        Out(INDArray array) {
            this.array = array;
        }
    }

    static Out out(INDArray array) {
        return new Out(array);
    }

    static void launch(String kernel, int gridX, int gridY, int gridZ, Object... args) {
        List<INDArray> reads = new ArrayList<>();
        List<INDArray> writes = new ArrayList<>();
        for (Object a : args) {
            if (a instanceof Out) writes.add(((Out) a).array);
            else if (a instanceof INDArray) reads.add((INDArray) a);
        }
        Nd4j.getExecutioner().push();
        // Looked up per launch: one kernel object may serve threads bound to different devices.
        CudaKernelModule module = CudaKernelModule.forCurrentDevice();
        AtomicAllocator allocator = AtomicAllocator.getInstance();
        AffinityManager affinity = Nd4j.getAffinityManager();
        for (INDArray r : reads) affinity.ensureLocation(r, AffinityManager.Location.DEVICE);
        for (INDArray w : writes) affinity.ensureLocation(w, AffinityManager.Location.DEVICE);
        CudaContext ctx = writes.isEmpty() ? allocator.getDeviceContext()
                : allocator.getFlowController().prepareActionAllWrite(writes.toArray(new INDArray[0]));

        Pointer[] values = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) {
                values[i] = new LongPointer(new long[] {0L});
            } else if (a instanceof Integer) {
                values[i] = new IntPointer(new int[] {(Integer) a});
            } else {
                INDArray arr = a instanceof Out ? ((Out) a).array : (INDArray) a;
                values[i] = new LongPointer(new long[] {allocator.getPointer(arr, ctx).address()});
            }
        }
        PointerPointer<Pointer> params = new PointerPointer<>(values);
        CUstream_st stream = new CUstream_st(ctx.getCublasStream());
        int rc = cudart.cuLaunchKernel(module.function(kernel), gridX, gridY, gridZ,
                CudaKernelModule.THREADS, 1, 1, 0, stream, params, (PointerPointer<?>) null);
        CudaKernelModule.check(rc, "cuLaunchKernel " + kernel);

        INDArray[] readArray = reads.toArray(new INDArray[0]);
        for (INDArray w : writes) allocator.registerAction(ctx, w, readArray);
    }
}
