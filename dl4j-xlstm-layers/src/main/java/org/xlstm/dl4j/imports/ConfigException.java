package org.xlstm.dl4j.imports;

/**
 * An official config that cannot be used: not a JSON/YAML mapping, a key of the wrong type, a value out of
 * range or beyond {@link ConfigLimits}, or keys that contradict each other. The message names the dotted key,
 * what was expected and what was found. An {@link IllegalArgumentException}, as configs are arguments.
 */
public class ConfigException extends IllegalArgumentException {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
