package org.xlstm.dl4j.imports;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Typed, path-aware access to a parsed config dict (from JSON or YAML). Keys that are absent take
 * the caller's default; keys present with the wrong type fail naming the full dotted key.
 */
final class ConfigMap {

    private final Map<?, ?> values;
    private final String prefix;

    ConfigMap(Map<?, ?> values, String prefix) {
        this.values = values;
        this.prefix = prefix;
    }

    String key(String name) {
        return prefix + name;
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    Object raw(String name) {
        return values.get(name);
    }

    /** The nested dict at {@code name}; null when absent or explicitly null. */
    ConfigMap child(String name) {
        Object v = values.get(name);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Map)) {
            throw typeError(name, "a mapping", v);
        }
        return new ConfigMap((Map<?, ?>) v, key(name) + ".");
    }

    int getInt(String name, int defaultValue) {
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        return toInt(key(name), v);
    }

    double getDouble(String name, double defaultValue) {
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof Number)) {
            throw typeError(name, "a number", v);
        }
        return ((Number) v).doubleValue();
    }

    boolean getBoolean(String name, boolean defaultValue) {
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof Boolean)) {
            throw typeError(name, "true or false", v);
        }
        return (Boolean) v;
    }

    String getString(String name, String defaultValue) {
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof String)) {
            throw typeError(name, "a string", v);
        }
        return (String) v;
    }

    static int toInt(String key, Object v) {
        boolean integral = v instanceof Integer || v instanceof Long || v instanceof Short
                || v instanceof Byte || v instanceof BigInteger;
        if (!integral) {
            throw new ConfigException("config key '" + key + "': expected an integer, got "
                    + describe(v));
        }
        long l = ((Number) v).longValue();
        if (v instanceof BigInteger ? ((BigInteger) v).bitLength() > 31 : l != (int) l) {
            throw new ConfigException("config key '" + key + "': expected a 32-bit integer, got " + v);
        }
        return (int) l;
    }

    ConfigException typeError(String name, String expected, Object actual) {
        return new ConfigException("config key '" + key(name) + "': expected " + expected + ", got "
                + describe(actual));
    }

    static String describe(Object v) {
        if (v instanceof String) {
            return "string \"" + v + "\"";
        }
        if (v instanceof List) {
            return "list " + v;
        }
        if (v instanceof Map) {
            return "mapping " + v;
        }
        return v.getClass().getSimpleName().toLowerCase() + " " + v;
    }
}
