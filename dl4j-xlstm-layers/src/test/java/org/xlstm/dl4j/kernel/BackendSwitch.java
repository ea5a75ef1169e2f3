package org.xlstm.dl4j.kernel;

import java.util.function.Supplier;

/**
 * Runs test code on one backend ({@value KernelRegistry#BACKEND}) and restores the property as it was,
 * so that a test's choice never leaks into the next one.
 */
public final class BackendSwitch {
    private BackendSwitch() {
    }

    public static <T> T on(String backend, Supplier<T> body) {
        String before = System.getProperty(KernelRegistry.BACKEND);
        System.setProperty(KernelRegistry.BACKEND, backend);
        try {
            return body.get();
        } finally {
            if (before == null) {
                System.clearProperty(KernelRegistry.BACKEND);
            } else {
                System.setProperty(KernelRegistry.BACKEND, before);
            }
        }
    }

    public static void on(String backend, Runnable body) {
        on(backend, () -> {
            body.run();
            return null;
        });
    }
}
