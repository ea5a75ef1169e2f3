package org.xlstm.dl4j.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlstm.dl4j.kernel.portable.PortableMatrixMemoryKernel;
import org.xlstm.dl4j.kernel.portable.PortableScalarMemoryKernel;
import org.xlstm.dl4j.ops.FusedOps;

/**
 * Chooses the backend the layers run on.
 *
 * <p>Backends register through {@link ServiceLoader} as {@link MatrixMemoryKernelProvider}: the CPU backend
 * of this module ({@code cpu}, on nd4j-native with OpenBLAS) and the CUDA one of {@code dl4j-xlstm-cuda}
 * ({@code cuda}). The system property {@value #BACKEND} selects:
 * <ul>
 *   <li>{@code auto} (default): the first registered backend usable on the active ND4J backend, else
 *       {@code reference};</li>
 *   <li>{@code reference}: every layer (forward, backward, step) in plain ND4J operations, no backend code:
 *       for debugging, and as the fallback for ND4J backends without their own;</li>
 *   <li>{@code cpu}, {@code cuda}: that backend, or an {@link IllegalStateException} saying why it cannot
 *       run.</li>
 * </ul>
 * The property is read on every use, so it can be changed between training runs (tests do); changing it
 * while a network is between its forward and backward pass fails that backward pass. The choice is logged
 * once at INFO per backend.
 */
public final class KernelRegistry {
    /** The system property that selects the backend: {@code auto}, {@code reference}, {@code cpu}, {@code cuda}. */
    public static final String BACKEND = "xlstm.backend";
    public static final String AUTO = "auto";
    public static final String REFERENCE = "reference";

    private static final Logger LOG = LoggerFactory.getLogger(KernelRegistry.class);
    private static final ScalarMemoryKernel SCALAR_MEMORY = PortableScalarMemoryKernel.INSTANCE;
    private static final Map<String, Choice> CHOICES = new ConcurrentHashMap<>();
    private static volatile List<MatrixMemoryKernelProvider> providers;

    private KernelRegistry() {
    }

    /** The name of the backend layers run on now: {@code reference}, {@code cpu}, {@code cuda}, ... */
    public static String activeBackend() {
        return choice().name;
    }

    public static MatrixMemoryKernel matrixMemory() {
        return choice().matrixMemory;
    }

    public static ScalarMemoryKernel scalarMemory() {
        return SCALAR_MEMORY;
    }

    /** The active backend's faster op forms; {@link FusedOps#NONE} on the reference path. */
    public static FusedOps fusedOps() {
        return choice().fusedOps;
    }

    /** Whether float32 {@code rnnTimeStep} may take the active backend's single-token step form. */
    public static boolean runsStepForms() {
        return choice().stepForms;
    }

    private static Choice choice() {
        String requested = System.getProperty(BACKEND, AUTO).trim().toLowerCase(java.util.Locale.ROOT);
        Choice chosen = CHOICES.get(requested);
        if (chosen == null) {
            chosen = CHOICES.computeIfAbsent(requested, KernelRegistry::choose);
        }
        return chosen;
    }

    private static Choice choose(String requested) {
        Choice chosen;
        if (REFERENCE.equals(requested)) {
            chosen = Choice.reference();
            LOG.info("xLSTM backend: reference (plain ND4J operations; {}={})", BACKEND, requested);
        } else if (AUTO.equals(requested)) {
            chosen = auto();
        } else {
            chosen = named(requested);
        }
        return chosen;
    }

    private static Choice auto() {
        List<String> refusals = new ArrayList<>();
        for (MatrixMemoryKernelProvider provider : providers()) {
            String whyNot = provider.unavailableReason();
            if (whyNot == null) {
                Choice chosen = Choice.of(provider);
                LOG.info("xLSTM backend: {} (chosen automatically; others unavailable: {})", chosen.name, refusals);
                return chosen;
            }
            refusals.add(provider.backendName() + ": " + whyNot);
        }
        LOG.info("xLSTM backend: reference (plain ND4J operations); no registered backend is usable: {}", refusals);
        return Choice.reference();
    }

    private static Choice named(String requested) {
        List<String> known = new ArrayList<>();
        known.add(AUTO);
        known.add(REFERENCE);
        for (MatrixMemoryKernelProvider provider : providers()) {
            if (provider.backendName().equals(requested)) {
                String whyNot = provider.unavailableReason();
                if (whyNot != null) {
                    throw new IllegalStateException(BACKEND + "=" + requested + ": that backend cannot run here: " + whyNot);
                }
                Choice chosen = Choice.of(provider);
                LOG.info("xLSTM backend: {} ({}={})", chosen.name, BACKEND, requested);
                return chosen;
            }
            known.add(provider.backendName());
        }
        throw new IllegalStateException(BACKEND + "=" + requested + ": no such backend; expected one of " + known);
    }

    private static List<MatrixMemoryKernelProvider> providers() {
        List<MatrixMemoryKernelProvider> found = providers;
        if (found == null) {
            found = new ArrayList<>();
            for (MatrixMemoryKernelProvider provider : ServiceLoader.load(MatrixMemoryKernelProvider.class)) {
                found.add(provider);
            }
            providers = found;
        }
        return found;
    }

    /** One resolved backend. */
    private static final class Choice {
        final String name;
        final MatrixMemoryKernel matrixMemory;
        final FusedOps fusedOps;
        final boolean stepForms;

        private Choice(String name, MatrixMemoryKernel matrixMemory, FusedOps fusedOps, boolean stepForms) {
            this.name = name;
            this.matrixMemory = matrixMemory;
            this.fusedOps = fusedOps;
            this.stepForms = stepForms;
        }

        static Choice reference() {
            return new Choice(REFERENCE, PortableMatrixMemoryKernel.INSTANCE, FusedOps.NONE, false);
        }

        static Choice of(MatrixMemoryKernelProvider provider) {
            provider.onChosen();
            return new Choice(provider.backendName(), provider.create(), provider.fusedOps(), provider.runsStepForms());
        }
    }
}
