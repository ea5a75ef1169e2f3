package org.xlstm.samples;

import java.util.List;

import com.sun.jna.Function;
import com.sun.jna.Platform;
import com.sun.jna.Structure;

/**
 * The bytes the process holds allocated from glibc's malloc (all arenas, and the chunks it maps on their own), from
 * {@code mallinfo2()}: what native code (ND4J's buffers and workspaces, the JVM's own C heap) has allocated and not
 * freed, without the freed memory glibc keeps for reuse.
 *
 * <p>Why the soak reads it next to the resident size: glibc keeps the free space at the top of a thread's arena as
 * long as it is under its trim threshold, which rises with the largest mapped chunk freed (to 5 MB in the soak),
 * and {@code malloc_trim} gives back the top of the main arena only. So the JIT compiler threads and the VM thread
 * each keep up to that much of the C heap they once used, resident, after the memory is free; a leak would raise
 * this figure, that retention does not.
 */
final class MallocInUse {

    /** glibc's {@code struct mallinfo2}: ten {@code size_t} fields. */
    public static final class Info extends Structure implements Structure.ByValue {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd;
        public long usmblks;
        public long fsmblks;
        public long uordblks;
        public long fordblks;
        public long keepcost;

        @Override
        protected List<String> getFieldOrder() {
            return List.of("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                    "fordblks", "keepcost");
        }
    }

    private static final Function MALLINFO2 = lookUp();

    private MallocInUse() {
    }

    /** Whether this C library has {@code mallinfo2} (glibc 2.33 and later). */
    static boolean available() {
        return MALLINFO2 != null;
    }

    /** Allocated bytes: in use in the arenas plus the separately mapped chunks; -1 where not available. */
    static long bytes() {
        if (MALLINFO2 == null) {
            return -1;
        }
        Info info = (Info) MALLINFO2.invoke(Info.class, new Object[0]);
        return info.uordblks + info.hblkhd;
    }

    private static Function lookUp() {
        if (!Platform.isLinux()) {
            return null;
        }
        try {
            return Function.getFunction("c", "mallinfo2");
        } catch (UnsatisfiedLinkError olderOrNotGlibc) {
            return null;
        }
    }
}
