package org.xlstm.dl4j.cuda;

import java.util.ArrayList;
import java.util.List;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints, at the end of the run, how many tests were skipped (disabled, or aborted by an assumption such as
 * "no GPU here") and why each one was, so that a green build says what it did not test. Registered through
 * META-INF/services.
 */
public final class SkipReport implements TestExecutionListener {

    private final List<String> skipped = new ArrayList<>();

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        skipped.add(test.getLegacyReportingName() + ": " + reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            skipped.add(test.getLegacyReportingName() + ": " + result.getThrowable().map(Throwable::getMessage)
                    .orElse("aborted"));
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        System.out.println("[skip report] " + skipped.size() + " test(s) skipped" + (skipped.isEmpty() ? "" : ":"));
        skipped.forEach(s -> System.out.println("[skip report]   " + s));
    }
}
