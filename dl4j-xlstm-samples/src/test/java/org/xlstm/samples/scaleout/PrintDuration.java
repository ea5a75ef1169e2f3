package org.xlstm.samples.scaleout;

import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Prints how long each test ran, so the scale-out tests' share of the suite's time shows in the build log. */
public final class PrintDuration implements BeforeTestExecutionCallback, AfterTestExecutionCallback {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PrintDuration.class);

    @Override
    public void beforeTestExecution(ExtensionContext context) {
        context.getStore(NAMESPACE).put(context.getUniqueId(), System.nanoTime());
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        long start = context.getStore(NAMESPACE).remove(context.getUniqueId(), long.class);
        System.out.printf("[scale-out] %s %s: %.1f s%n", context.getRequiredTestClass().getSimpleName(),
                context.getDisplayName(), (System.nanoTime() - start) / 1e9);
    }
}
