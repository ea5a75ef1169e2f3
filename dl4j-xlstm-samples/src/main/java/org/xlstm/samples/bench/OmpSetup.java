package org.xlstm.samples.bench;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Makes ND4J's OpenMP threads wait passively unless the user chose otherwise.
 *
 * <p>On few cores ND4J's busy-waiting OpenMP threads compete with OpenBLAS's own threads and make
 * recurrent layers several times slower. libgomp reads {@code OMP_WAIT_POLICY} once, when the native
 * library loads, so this must run before any ND4J class is touched. It only calls libc {@code setenv};
 * it never loads OpenBLAS itself (a second, globally loaded OpenBLAS corrupts ND4J's).
 */
public final class OmpSetup {

    public static final String VARIABLE = "OMP_WAIT_POLICY";

    private static volatile String description;

    private OmpSetup() {
    }

    /** The subset of libc this needs. */
    public interface CLib extends Library {
        int setenv(String name, String value, int overwrite);
    }

    /**
     * Sets {@code OMP_WAIT_POLICY=passive} in the process environment when it is absent. A value that is
     * present, even empty, is the user's choice and is kept (an empty value leaves OpenMP's default).
     */
    public static synchronized void apply() {
        String current = System.getenv(VARIABLE);
        if (current != null) {
            description = VARIABLE + "='" + current + "' (from the environment"
                    + (current.isEmpty() ? ", OpenMP default policy)" : ")");
            return;
        }
        try {
            CLib libc = (CLib) Native.loadLibrary("c", CLib.class);
            int rc = libc.setenv(VARIABLE, "passive", 0);
            description = rc == 0 ? VARIABLE + "=passive (set by the CLI through libc setenv before ND4J loaded)"
                    : VARIABLE + " unset: libc setenv failed (rc " + rc + "), OpenMP default policy";
        } catch (Throwable e) {
            description = VARIABLE + " unset: could not call libc setenv (" + e + "), OpenMP default policy";
        }
    }

    /** Which setting is active, in words. */
    public static String description() {
        if (description == null) {
            String current = System.getenv(VARIABLE);
            return current == null ? VARIABLE + " unset (OpenMP default policy; the CLI's main sets it to passive)"
                    : VARIABLE + "='" + current + "' (from the environment)";
        }
        return description;
    }
}
