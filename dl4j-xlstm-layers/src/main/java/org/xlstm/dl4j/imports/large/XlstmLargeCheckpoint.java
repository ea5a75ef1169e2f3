package org.xlstm.dl4j.imports.large;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.imports.SafetensorsFile;
import org.xlstm.dl4j.imports.SafetensorsReader;
import org.xlstm.dl4j.imports.WeightFileException;
import org.xlstm.dl4j.imports.XlstmLargeConfig;
import org.xlstm.dl4j.large.OfficialTensor;
import org.xlstm.dl4j.large.XlstmLargeModel;
import org.xlstm.dl4j.large.XlstmLargeRunner;

/**
 * An official xLSTM-Large checkpoint directory: {@code config.yaml} with {@code model.safetensors} or shards
 * {@code model_0.safetensors}, {@code model_1.safetensors}, ... (tensors in bfloat16, float16, float32 or
 * float64). Opening reads only the headers; {@link #load} checks every tensor's presence and shape against the
 * configuration before allocating anything, estimates the memory, then reads the tensors one at a time
 * straight into the network's parameters.
 */
public final class XlstmLargeCheckpoint implements AutoCloseable {
    public static final String CONFIG_FILE = "config.yaml";
    public static final String SINGLE_FILE = "model.safetensors";

    private final Path dir;
    private final XlstmLargeConfig config;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> index = new LinkedHashMap<>();

    private XlstmLargeCheckpoint(Path dir, XlstmLargeConfig config, List<SafetensorsFile> files) {
        this.dir = dir;
        this.config = config;
        this.files = files;
        for (SafetensorsFile file : files) {
            for (String name : file.names()) {
                SafetensorsFile earlier = index.put(name, file);
                if (earlier != null) {
                    close();
                    throw new WeightFileException(dir + ": tensor '" + name + "' is in both " + earlier.path()
                            .getFileName() + " and " + file.path().getFileName());
                }
            }
        }
    }

    /** Reads {@code dir}'s config and the headers of its weight files. */
    public static XlstmLargeCheckpoint open(Path dir) {
        Path configFile = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new WeightFileException(dir + ": no " + CONFIG_FILE + " (an xLSTM-Large checkpoint directory holds "
                    + CONFIG_FILE + " and " + SINGLE_FILE + " or model_0.safetensors, model_1.safetensors, ...)");
        }
        XlstmLargeConfig config = XlstmLargeConfig.fromYaml(configFile);
        List<Path> paths = weightFiles(dir);
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            for (Path p : paths) {
                files.add(SafetensorsReader.open(p));
            }
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
        return new XlstmLargeCheckpoint(dir, config, files);
    }

    private static List<Path> weightFiles(Path dir) {
        Path single = dir.resolve(SINGLE_FILE);
        List<Path> shards = new ArrayList<>();
        for (int i = 0; Files.isRegularFile(dir.resolve("model_" + i + ".safetensors")); i++) {
            shards.add(dir.resolve("model_" + i + ".safetensors"));
        }
        boolean hasSingle = Files.isRegularFile(single);
        if (hasSingle && !shards.isEmpty()) {
            throw new WeightFileException(dir + ": holds both " + SINGLE_FILE + " and shards model_0.safetensors, ...;"
                    + " keep one layout");
        }
        if (hasSingle) {
            return List.of(single);
        }
        if (shards.isEmpty()) {
            throw new WeightFileException(dir + ": no " + SINGLE_FILE + " and no shards model_0.safetensors, ...");
        }
        return shards;
    }

    public XlstmLargeConfig config() {
        return config;
    }

    /** What loading into a network of {@code type} will take (from the configuration; nothing is read). */
    public MemoryEstimate estimate(DataType type) {
        long bytes = type.width();
        long params = XlstmLargeModel.parameterCount(config);
        long dh = Math.max(config.qkHeadDim(), config.vHeadDim());
        long statePerBlock = (long) config.getNumHeads() * (dh * dh + dh + 1);
        long largest = 0;
        for (OfficialTensor t : XlstmLargeModel.officialTensors(config)) {
            largest = Math.max(largest, t.elementCount());
        }
        long heapElementBytes = type == DataType.DOUBLE ? 8 : 4;
        return new MemoryEstimate(params * bytes, config.getNumBlocks() * statePerBlock * bytes,
                2 * largest * bytes, largest * heapElementBytes);
    }

    /**
     * The model as a network of {@code type} with this checkpoint's weights. Missing, unexpected and mis-shaped
     * tensors are reported together, by file, name, expected and actual shape, before anything is allocated;
     * then the memory estimate is checked against this JVM's limits.
     */
    public XlstmLargeRunner load(DataType type) {
        List<OfficialTensor> tensors = XlstmLargeModel.officialTensors(config);
        checkTensors(tensors);
        estimate(type).requireFits();
        XlstmLargeRunner runner = XlstmLargeRunner.create(config, type, 0);
        List<Map<String, INDArray>> tables = runner.parameterTables();
        for (OfficialTensor t : tensors) {
            INDArray target = tables.get(t.layer()).get(t.mapping().ourName());
            INDArray official = index.get(t.name()).get(t.name(), type);
            target.assign(t.mapping().toOurs(official).reshape(target.shape()));
        }
        return runner;
    }

    private void checkTensors(List<OfficialTensor> tensors) {
        List<String> problems = new ArrayList<>();
        Set<String> unexpected = new LinkedHashSet<>(index.keySet());
        for (OfficialTensor t : tensors) {
            SafetensorsFile file = index.get(t.name());
            if (file == null) {
                problems.add("missing tensor " + t.name() + " (expected shape " + Arrays.toString(t.officialShape())
                        + ")");
                continue;
            }
            unexpected.remove(t.name());
            long[] actual = file.shape(t.name());
            if (!Arrays.equals(actual, t.officialShape())) {
                problems.add(file.path().getFileName() + ": tensor " + t.name() + " has shape "
                        + Arrays.toString(actual) + " but the configuration needs " + Arrays.toString(t.officialShape()));
            }
            if (!file.dtype(t.name()).isFloatingPoint()) {
                problems.add(file.path().getFileName() + ": tensor " + t.name() + " is " + file.dtype(t.name())
                        + "; weights must be BF16, F16, F32 or F64");
            }
        }
        for (String name : unexpected) {
            problems.add(index.get(name).path().getFileName() + ": unexpected tensor " + name + " "
                    + Arrays.toString(index.get(name).shape(name)) + " (not part of the model of " + CONFIG_FILE + ")");
        }
        if (!problems.isEmpty()) {
            throw new WeightFileException(dir + ": the checkpoint does not match " + CONFIG_FILE + " (" + config
                    + "): " + String.join("; ", problems));
        }
    }

    @Override
    public void close() {
        for (SafetensorsFile file : files) {
            file.close();
        }
    }
}
