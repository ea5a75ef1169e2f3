package org.xlstm.dl4j.runtime;

import java.lang.ref.Cleaner;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.MemoryWorkspaceManager;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The bytes this library's own workspaces hold, over all threads of the process, and the cap on them.
 *
 * <p>Why: ND4J workspaces are per thread and keep their size for the life of the thread, so a process that
 * once ran a long pass (or serves from many threads) would keep that memory for good. Every library
 * workspace is created and destroyed through here, so the total is known; inference passes are cut into
 * time slices that fit what the cap leaves ({@link ChunkedInference}), and compute workspaces shrink when
 * later passes need much less ({@link ComputeWorkspace}). DL4J's and other code's workspaces are not
 * counted and never touched.
 *
 * <p>The cap is the system property {@value #PROPERTY}: bytes, optionally with a k, m or g suffix (powers of
 * 1024), e.g. {@code -Dxlstm.memory.cap=512m}; default {@value #DEFAULT_CAP_TEXT}. It is read at every pass,
 * so it can be set after the library loaded. What it cannot bound: a training forward keeps what backprop
 * needs for its whole segment (truncated BPTT bounds that), a backward pass needs its whole segment too,
 * and an inference slice is never shorter than {@link ChunkedInference#SLICE_ALIGNMENT} steps.
 */
public final class WorkspaceBudget {
    public static final String PROPERTY = "xlstm.memory.cap";
    static final String DEFAULT_CAP_TEXT = "1g";

    private static final AtomicLong HELD = new AtomicLong();
    private static final Cleaner CLEANER = Cleaner.create();
    /**
     * What the current thread's workspaces hold. ND4J frees a dead thread's workspaces once the thread is
     * collected; the cleaner takes that thread's share off the total at the same time.
     */
    private static final ThreadLocal<AtomicLong> HELD_BY_THREAD = ThreadLocal.withInitial(() -> {
        AtomicLong mine = new AtomicLong();
        CLEANER.register(Thread.currentThread(), () -> HELD.addAndGet(-mine.get()));
        return mine;
    });

    private static volatile String parsedText;
    private static volatile long parsedCap;

    private WorkspaceBudget() {
    }

    /** The cap in bytes, from {@value #PROPERTY}. */
    public static long cap() {
        String text = System.getProperty(PROPERTY, DEFAULT_CAP_TEXT);
        if (!text.equals(parsedText)) {
            parsedCap = parse(text);
            parsedText = text;
        }
        return parsedCap;
    }

    /** Parses a byte count such as {@code 536870912}, {@code 512m} or {@code 2g}; rejects anything else. */
    public static long parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'k': unit = 1L << 10; break;
                case 'm': unit = 1L << 20; break;
                case 'g': unit = 1L << 30; break;
                default: break;
            }
        }
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        long value;
        try {
            value = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(invalid(text));
        }
        if (value <= 0 || value > Long.MAX_VALUE / unit) {
            throw new IllegalArgumentException(invalid(text));
        }
        return value * unit;
    }

    private static String invalid(String text) {
        return "system property " + PROPERTY + " expected a positive byte count with an optional k, m or g suffix"
                + " (e.g. 512m) but got '" + text + "'";
    }

    /** Bytes held by all library workspaces of the process now. */
    public static long held() {
        return HELD.get();
    }

    /** What a pass of the current thread may use: the cap less what other threads hold, plus its own. */
    static long availableToCurrentThread(long ownWorkspaceBytes) {
        return Math.max(0, cap() - HELD.get() + ownWorkspaceBytes);
    }

    /** Creates the current thread's workspace {@code id} and counts its bytes. */
    static MemoryWorkspace create(WorkspaceConfiguration configuration, String id) {
        MemoryWorkspace workspace = Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(configuration, id);
        count(workspace.getCurrentSize());
        return workspace;
    }

    /** Destroys one of the current thread's workspaces and stops counting its bytes. */
    static void destroy(MemoryWorkspace workspace) {
        long bytes = workspace.getCurrentSize();
        MemoryWorkspaceManager manager = Nd4j.getWorkspaceManager();
        manager.destroyWorkspace(workspace);
        count(-bytes);
    }

    private static void count(long bytes) {
        HELD_BY_THREAD.get().addAndGet(bytes);
        HELD.addAndGet(bytes);
    }
}
