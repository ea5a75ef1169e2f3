package org.xlstm.dl4j.imports;

import java.util.Set;

/** Range checks whose messages name the config key, the expectation and the actual value. */
final class Checks {

    private Checks() {
    }

    static void atLeast(String key, long value, long min) {
        if (value < min) {
            throw new ConfigException("config key '" + key + "': expected >= " + min + ", got " + value);
        }
    }

    static void atMost(String key, long value, long max) {
        if (value > max) {
            throw new ConfigException("config key '" + key + "': expected <= " + max + " (see ConfigLimits),"
                    + " got " + value);
        }
    }

    static void positive(String key, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new ConfigException("config key '" + key + "': expected a finite number > 0, got " + value);
        }
    }

    static void probability(String key, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new ConfigException("config key '" + key + "': expected a dropout rate in [0, 1), got " + value);
        }
    }

    static void divides(String key, int divisor, String dividendName, int dividend) {
        if (dividend % divisor != 0) {
            throw new ConfigException("config key '" + key + "': expected a divisor of " + dividendName
                    + " = " + dividend + ", got " + divisor);
        }
    }

    static void oneOf(String key, String value, Set<String> allowed) {
        if (!allowed.contains(value)) {
            throw new ConfigException("config key '" + key + "': expected one of " + allowed + ", got \""
                    + value + "\"");
        }
    }
}
