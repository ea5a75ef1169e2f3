package org.xlstm.dl4j.cuda;

import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.nd4j.jita.allocator.impl.AtomicAllocator;
import org.nd4j.linalg.factory.Nd4j;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The mLSTM kernels loaded into the current CUDA context, one module per device.
 *
 * <p>Load order, first success wins:
 * <ol>
 *   <li>the embedded fatbin (SASS sm_75/80/86/89/90 + PTX; built by nvcc 13, so its cubins need an R580+
 *       driver),</li>
 *   <li>the embedded PTX lowered to ISA 7.0 (the driver JIT-compiles it; R450+ drivers, sm_75 and newer),</li>
 *   <li>NVRTC on the embedded sources for the device's own architecture (covers older GPUs and drivers; needs
 *       libnvrtc from CUDA 11.x), cached on disk under {@code xlstm.cuda.cache} (default
 *       {@code ~/.cache/dl4j-xlstm}).</li>
 * </ol>
 * If all fail, the error lists why each one did.
 */
final class CudaKernelModule {

    /** Compile-time sizes of the embedded kernels (mlstm_common.cuh defaults). */
    static final int THREADS = 256;
    static final int MAX_CHUNK = 64;
    static final int TILE = 64;

    static final String[] KERNELS = {
        "xlstm_mlstm_gates", "xlstm_mlstm_fwd_states", "xlstm_mlstm_fwd_outputs", "xlstm_mlstm_bwd_prep",
        "xlstm_mlstm_bwd_states", "xlstm_mlstm_bwd_scores", "xlstm_mlstm_bwd_inputs", "xlstm_mlstm_bwd_gates",
        "xlstm_mlstm_step"
    };

    /** Concatenation order of the sources; they contain no #include. */
    static final String[] SOURCES = {
        "mlstm_common.cuh", "mlstm_glue.cu", "mlstm_forward.cu", "mlstm_backward.cu", "mlstm_step.cu"
    };

    private static final String RESOURCE_DIR = "/org/xlstm/dl4j/cuda/";
    private static final Map<Integer, CudaKernelModule> MODULES = new HashMap<>();

    private static final Logger LOG = LoggerFactory.getLogger(CudaKernelModule.class);

    private final Map<String, CUfunc_st> functions = new HashMap<>();

    private CudaKernelModule(CUmod_st module) {
        for (String name : KERNELS) {
            CUfunc_st f = new CUfunc_st();
            check(cudart.cuModuleGetFunction(f, module, name), "cuModuleGetFunction " + name);
            functions.put(name, f);
        }
    }

    CUfunc_st function(String name) {
        CUfunc_st f = functions.get(name);
        if (f == null) throw new IllegalArgumentException("unknown kernel " + name);
        return f;
    }

    /**
     * The module for ND4J's device of the calling thread, in that device's primary context (the one the CUDA
     * runtime, and so ND4J, uses); makes that context current for the driver API calls.
     */
    static synchronized CudaKernelModule forCurrentDevice() {
        Loader.load(cudart.class);
        check(cudart.cuInit(0), "cuInit");
        // ND4J binds each Java thread to a device and creates its stream on first use.
        AtomicAllocator.getInstance().getDeviceContext();
        int device = Nd4j.getAffinityManager().getDeviceForCurrentThread();
        CUctx_st current = new CUctx_st();
        check(cudart.cuCtxGetCurrent(current), "cuCtxGetCurrent");
        if (current.isNull()) {
            CUctx_st primary = new CUctx_st();
            check(cudart.cuDevicePrimaryCtxRetain(primary, device), "cuDevicePrimaryCtxRetain");
            check(cudart.cuCtxSetCurrent(primary), "cuCtxSetCurrent");
        }
        CudaKernelModule m = MODULES.get(device);
        if (m == null) {
            m = load(device);
            MODULES.put(device, m);
        }
        return m;
    }

    private static CudaKernelModule load(int device) {
        List<String> failures = new ArrayList<>();
        byte[] fatbin = resource(RESOURCE_DIR + "mlstm_kernels.fatbin");
        if (fatbin == null) {
            failures.add("embedded fatbin: not in the jar (built without nvcc)");
        } else {
            CudaKernelModule m = tryLoad(fatbin, "embedded fatbin", failures);
            if (m != null) return m;
        }
        byte[] ptx = resource(RESOURCE_DIR + "mlstm_kernels_isa70.ptx");
        if (ptx == null) {
            failures.add("embedded ISA-7.0 PTX: not in the jar (built without nvcc)");
        } else {
            CudaKernelModule m = tryLoad(nulTerminated(ptx), "embedded ISA-7.0 PTX (driver JIT)", failures);
            if (m != null) return m;
        }
        try {
            byte[] nvrtcPtx = nvrtcPtx(device);
            CudaKernelModule m = tryLoad(nvrtcPtx, "NVRTC", failures);
            if (m != null) return m;
        } catch (Throwable t) {
            failures.add("NVRTC: " + t);
        }
        throw new IllegalStateException("Cannot load the xLSTM CUDA kernels on device " + device + ":\n  - "
                + String.join("\n  - ", failures));
    }

    private static CudaKernelModule tryLoad(byte[] image, String origin, List<String> failures) {
        CUmod_st module = new CUmod_st();
        int rc = cudart.cuModuleLoadData(module, new BytePointer(image));
        if (rc != cudart.CUDA_SUCCESS) {
            failures.add(origin + ": cuModuleLoadData failed: " + errorString(rc));
            return null;
        }
        CudaKernelModule m = new CudaKernelModule(module);
        LOG.info("xLSTM CUDA kernels loaded: {}", origin);
        return m;
    }

    /** NVRTC-compiled PTX (NUL-terminated) for the device's compute capability, through the disk cache. */
    private static byte[] nvrtcPtx(int device) throws IOException {
        int[] major = new int[1];
        int[] minor = new int[1];
        check(cudart.cuDeviceGetAttribute(major, cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device),
                "compute capability");
        check(cudart.cuDeviceGetAttribute(minor, cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device),
                "compute capability");
        Loader.load(nvrtc.class);
        int arch = Math.min(major[0] * 10 + minor[0], newestNvrtcArch());
        String source = concatenatedSource();
        String option = "--gpu-architecture=compute_" + arch;
        Path cache = Paths.get(System.getProperty("xlstm.cuda.cache",
                Paths.get(System.getProperty("user.home"), ".cache", "dl4j-xlstm").toString()));
        Path cached = cache.resolve("mlstm-" + sha256(source + option) + ".ptx");
        if (Files.isRegularFile(cached)) return Files.readAllBytes(cached);

        _nvrtcProgram program = new _nvrtcProgram();
        check(nvrtc.nvrtcCreateProgram(program, new BytePointer(source), new BytePointer("mlstm_kernels.cu"), 0,
                (PointerPointer<?>) null, (PointerPointer<?>) null), "nvrtcCreateProgram");
        try {
            PointerPointer<BytePointer> options = new PointerPointer<>(option, "--std=c++14", "--fmad=true");
            int rc = nvrtc.nvrtcCompileProgram(program, 3, options);
            if (rc != nvrtc.NVRTC_SUCCESS) {
                SizeTPointer logSize = new SizeTPointer(1);
                nvrtc.nvrtcGetProgramLogSize(program, logSize);
                BytePointer log = new BytePointer(logSize.get());
                nvrtc.nvrtcGetProgramLog(program, log);
                throw new IllegalStateException("nvrtcCompileProgram (" + option + "): "
                        + nvrtc.nvrtcGetErrorString(rc).getString() + "\n" + log.getString());
            }
            SizeTPointer size = new SizeTPointer(1);
            nvrtc.nvrtcGetPTXSize(program, size);
            byte[] ptx = new byte[(int) size.get()];
            nvrtc.nvrtcGetPTX(program, ptx);
            Files.createDirectories(cache);
            // Write then rename, so a concurrent reader never sees a partial file.
            Path tmp = Files.createTempFile(cache, "mlstm", ".tmp");
            Files.write(tmp, ptx);
            Files.move(tmp, cached, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return ptx;
        } finally {
            nvrtc.nvrtcDestroyProgram(program);
        }
    }

    private static int newestNvrtcArch() {
        int[] count = new int[1];
        check(nvrtc.nvrtcGetNumSupportedArchs(count), "nvrtcGetNumSupportedArchs");
        int[] archs = new int[count[0]];
        check(nvrtc.nvrtcGetSupportedArchs(archs), "nvrtcGetSupportedArchs");
        int newest = 0;
        for (int a : archs) newest = Math.max(newest, a);
        return newest;
    }

    static String concatenatedSource() {
        StringBuilder sb = new StringBuilder();
        for (String name : SOURCES) {
            byte[] b = resource(RESOURCE_DIR + "kernels/" + name);
            if (b == null) throw new IllegalStateException("kernel source " + name + " missing from the jar");
            sb.append(new String(b, StandardCharsets.UTF_8)).append('\n');
        }
        return sb.toString();
    }

    private static byte[] resource(String path) {
        try (InputStream in = CudaKernelModule.class.getResourceAsStream(path)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] nulTerminated(byte[] text) {
        byte[] out = new byte[text.length + 1];
        System.arraycopy(text, 0, out, 0, text.length);
        return out;
    }

    private static String sha256(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 12; i++) sb.append(String.format("%02x", d[i]));
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String errorString(int rc) {
        BytePointer msg = new BytePointer((org.bytedeco.javacpp.Pointer) null);
        cudart.cuGetErrorString(rc, msg);
        return msg.isNull() ? "CUDA error " + rc : msg.getString() + " (" + rc + ")";
    }

    static void check(int rc, String what) {
        if (rc != 0) throw new IllegalStateException(what + " failed: " + errorString(rc));
    }
}
