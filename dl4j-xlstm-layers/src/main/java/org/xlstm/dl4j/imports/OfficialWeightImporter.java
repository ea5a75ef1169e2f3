package org.xlstm.dl4j.imports;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Loads official xLSTM weights into DL4J parameter tables, all or nothing: the header is checked against the
 * configuration first (missing, unexpected, mis-shaped or non-float tensors reported together by name), then
 * every tensor is read and converted before the first parameter is written.
 */
public final class OfficialWeightImporter {

    private OfficialWeightImporter() {
    }

    /**
     * Checks {@code file} against what the configuration implies, reading no tensor data: every mapped tensor
     * present, of exactly its official shape and of a floating-point dtype, and no tensor left over. Call it
     * before building a network so that a wrong checkpoint costs no allocation.
     *
     * @param mappings per layer, how official tensors map onto that layer's parameters
     * @param ignore   official names that are expected in the file but have no parameter here
     * @throws WeightFileException naming the file and every offending tensor with expected and actual
     */
    public static void validate(SafetensorsFile file, List<List<ParameterMapping>> mappings, Set<String> ignore) {
        List<String> problems = new ArrayList<>();
        Set<String> unused = new LinkedHashSet<>(file.names());
        unused.removeAll(ignore);
        for (int layer = 0; layer < mappings.size(); layer++) {
            for (ParameterMapping m : mappings.get(layer)) {
                String name = m.officialName();
                if (!file.contains(name)) {
                    problems.add("missing tensor " + name + " (expected shape " + Arrays.toString(m.officialShape())
                            + ", for layer " + layer + " parameter " + m.ourName() + ")");
                    continue;
                }
                unused.remove(name);
                if (!Arrays.equals(file.shape(name), m.officialShape())) {
                    problems.add("tensor " + name + ": expected shape " + Arrays.toString(m.officialShape())
                            + ", got " + Arrays.toString(file.shape(name)));
                }
                if (!file.dtype(name).isFloatingPoint()) {
                    problems.add("tensor " + name + ": expected a floating-point dtype (F64, F32, F16, BF16) for a"
                            + " weight, got " + file.dtype(name));
                }
            }
        }
        for (String name : unused) {
            problems.add("unexpected tensor " + name + " " + Arrays.toString(file.shape(name)));
        }
        if (!problems.isEmpty()) {
            throw new WeightFileException(file.path() + ": cannot load the official weights, nothing was changed: "
                    + String.join("; ", problems));
        }
    }

    /**
     * {@link #validate}s the file, then converts every tensor, and only then writes the parameters.
     *
     * @param targets  per layer, the layer's parameter table (name to parameter view)
     * @param mappings per layer, how official tensors map onto that table
     * @param ignore   official names that are expected in the file but have no parameter here
     */
    public static void load(SafetensorsFile file, List<Map<String, INDArray>> targets,
                            List<List<ParameterMapping>> mappings, Set<String> ignore) {
        if (targets.size() != mappings.size()) {
            throw new IllegalArgumentException("Expected " + mappings.size() + " layers to load into but got "
                    + targets.size());
        }
        validate(file, mappings, ignore);
        List<Runnable> writes = new ArrayList<>();
        for (int layer = 0; layer < targets.size(); layer++) {
            Map<String, INDArray> table = targets.get(layer);
            for (ParameterMapping m : mappings.get(layer)) {
                INDArray target = table.get(m.ourName());
                if (target == null) {
                    throw new IllegalStateException("Layer " + layer + " has no parameter '" + m.ourName()
                            + "' for official tensor " + m.officialName() + "; parameters: " + table.keySet());
                }
                INDArray converted = m.toOurs(file.get(m.officialName(), target.dataType()));
                if (converted.length() != target.length()) {
                    throw new IllegalStateException("official shape " + Arrays.toString(m.officialShape()) + " of "
                            + m.officialName() + " does not fit layer " + layer + " parameter " + m.ourName() + " "
                            + Arrays.toString(target.shape()));
                }
                INDArray value = converted.reshape(target.shape());
                writes.add(() -> target.assign(value));
            }
        }
        writes.forEach(Runnable::run);
    }

    /** Parameter gradients (per layer, keyed by our names) re-keyed and re-laid-out by the official names. */
    public static Map<String, INDArray> toOfficial(List<Map<String, INDArray>> perLayer,
                                                   List<List<ParameterMapping>> mappings) {
        Map<String, INDArray> out = new HashMap<>();
        for (int layer = 0; layer < perLayer.size(); layer++) {
            for (ParameterMapping m : mappings.get(layer)) {
                out.put(m.officialName(), m.toOfficial(perLayer.get(layer).get(m.ourName())));
            }
        }
        return out;
    }
}
