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
 * Loads official xLSTM weights into DL4J parameter tables, all or nothing: every tensor is read, converted
 * and shape-checked before the first parameter is written, and missing, unexpected or mis-shaped tensors
 * are reported together by name.
 */
public final class OfficialWeightImporter {

    private OfficialWeightImporter() {
    }

    /**
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
        List<String> problems = new ArrayList<>();
        Set<String> unused = new LinkedHashSet<>(file.names());
        unused.removeAll(ignore);
        List<Runnable> writes = new ArrayList<>();
        for (int layer = 0; layer < targets.size(); layer++) {
            Map<String, INDArray> table = targets.get(layer);
            for (ParameterMapping m : mappings.get(layer)) {
                INDArray target = table.get(m.ourName());
                if (target == null) {
                    throw new IllegalStateException("Layer " + layer + " has no parameter '" + m.ourName()
                            + "' for official tensor " + m.officialName() + "; parameters: " + table.keySet());
                }
                if (!file.contains(m.officialName())) {
                    problems.add("missing tensor " + m.officialName() + " (for layer " + layer + " parameter "
                            + m.ourName() + ", " + target.length() + " values)");
                    continue;
                }
                unused.remove(m.officialName());
                INDArray converted = m.toOurs(file.get(m.officialName(), target.dataType()));
                if (converted.length() != target.length()) {
                    problems.add("tensor " + m.officialName() + " has shape "
                            + Arrays.toString(file.shape(m.officialName())) + " (" + converted.length()
                            + " values) but layer " + layer + " parameter " + m.ourName() + " needs shape "
                            + Arrays.toString(target.shape()) + " (" + target.length() + " values)");
                    continue;
                }
                INDArray value = converted.reshape(target.shape());
                writes.add(() -> target.assign(value));
            }
        }
        for (String name : unused) {
            problems.add("unexpected tensor " + name + " " + Arrays.toString(file.shape(name)));
        }
        if (!problems.isEmpty()) {
            throw new WeightFileException(file.path() + ": cannot load the official weights, nothing was changed: "
                    + String.join("; ", problems));
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
