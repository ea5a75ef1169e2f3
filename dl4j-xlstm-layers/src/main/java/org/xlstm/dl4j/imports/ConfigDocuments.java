package org.xlstm.dl4j.imports;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Turns JSON or YAML text into the same plain-Java tree (Map, List, Integer/Long, Double, Boolean,
 * String, null), so one parser serves both formats and both give equal config objects.
 */
final class ConfigDocuments {

    private ConfigDocuments() {
    }

    static Map<?, ?> json(String text) {
        Object tree;
        try {
            tree = new ObjectMapper().readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException("config is not valid JSON: " + e.getOriginalMessage(), e);
        }
        return requireMapping(tree, "JSON");
    }

    static Map<?, ?> yaml(String text) {
        Object tree;
        try {
            // SafeConstructor: a config file must never instantiate arbitrary Java classes.
            tree = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        } catch (YAMLException e) {
            throw new ConfigException("config is not valid YAML: " + e.getMessage(), e);
        }
        return requireMapping(tree, "YAML");
    }

    static String read(Path path) {
        try {
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + path + ": " + e.getMessage(), e);
        }
    }

    private static Map<?, ?> requireMapping(Object tree, String format) {
        if (!(tree instanceof Map)) {
            throw new ConfigException("config " + format + " must be a mapping at the top level, got "
                    + (tree == null ? "nothing" : ConfigMap.describe(tree)));
        }
        return (Map<?, ?>) tree;
    }
}
