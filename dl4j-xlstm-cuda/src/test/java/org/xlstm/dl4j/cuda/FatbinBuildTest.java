package org.xlstm.dl4j.cuda;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The nvcc products of build-fatbin.sh, and the NVRTC source, as they end up in the jar. */
class FatbinBuildTest {

    private static boolean nvccOnPath() {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Paths.get(dir, "nvcc"))) return true;
        }
        return false;
    }

    @Test
    void fatbinHoldsSassForEveryArchAndPtx() throws Exception {
        assumeTrue(nvccOnPath(), "nvcc not on PATH: the fatbin is not built here");
        Path dir = Paths.get(System.getProperty("xlstm.cuda.generated"), "org", "xlstm", "dl4j", "cuda");
        Path fatbin = dir.resolve("mlstm_kernels.fatbin");
        assertTrue(Files.isRegularFile(fatbin), "missing " + fatbin);
        assertNotNull(getClass().getResource("/org/xlstm/dl4j/cuda/mlstm_kernels.fatbin"), "fatbin not a resource");

        // Fatbin container: magic 0xBA55ED50, u16 version, u16 header size, u64 payload size; then entries
        // (u16 kind: 1 PTX, 2 ELF/SASS; u16; u32 entry header size; u64 payload size; ...; u32 arch at +28).
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(fatbin)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xBA55ED50, buf.getInt(0), "fatbin magic");
        int header = Short.toUnsignedInt(buf.getShort(6));
        long end = header + buf.getLong(8);
        TreeSet<Integer> sass = new TreeSet<>();
        TreeSet<Integer> ptx = new TreeSet<>();
        long off = header;
        while (off < end) {
            int o = (int) off;
            int kind = Short.toUnsignedInt(buf.getShort(o));
            long entryHeader = Integer.toUnsignedLong(buf.getInt(o + 4));
            long payload = buf.getLong(o + 8);
            int arch = buf.getInt(o + 28);
            if (kind == 2) sass.add(arch);
            if (kind == 1) ptx.add(arch);
            off += entryHeader + payload;
        }
        assertEquals(new TreeSet<>(java.util.List.of(75, 80, 86, 89, 90)), sass, "SASS architectures");
        assertEquals(new TreeSet<>(java.util.List.of(90)), ptx, "PTX architectures");

        String isa70 = new String(Files.readAllBytes(dir.resolve("mlstm_kernels_isa70.ptx")), StandardCharsets.US_ASCII);
        assertTrue(isa70.contains(".version 7.0"), "PTX ISA lowered to 7.0");
        assertTrue(isa70.contains(".target sm_75"), "PTX target sm_75");
        for (String k : CudaKernelModule.KERNELS) assertTrue(isa70.contains(".entry " + k), "PTX entry " + k);
    }

    @Test
    void nvrtcSourceIsCompleteAndIncludeFree() {
        String src = CudaKernelModule.concatenatedSource();
        assertFalse(java.util.regex.Pattern.compile("(?m)^\\s*#\\s*include").matcher(src).find(),
                "NVRTC gets no system headers");
        for (String k : CudaKernelModule.KERNELS) {
            assertTrue(src.contains("extern \"C\" __global__ void " + k + "("), "kernel " + k + " in the source");
        }
    }
}
