package org.xlstm.samples.formal;

import java.util.Random;

/**
 * The formal-language tasks of the xLSTM paper's extrapolation experiment (after Deletang et al., "Neural
 * Networks and the Chomsky Hierarchy"): a string of tokens, one class to predict after its last token.
 */
enum FormalLanguage {
    /** Bits; is the number of ones odd? (regular, needs a state that flips: the task sLSTM's mixing solves) */
    PARITY(2, 2) {
        @Override
        int sample(Random random, int length, int[] tokens) {
            int ones = 0;
            for (int t = 0; t < length; t++) {
                tokens[t] = random.nextInt(2);
                ones += tokens[t];
            }
            return ones % 2;
        }
    },
    /**
     * Digits 0-4 joined by +, - and * (tokens 5, 6, 7), evaluated left to right modulo 5, without brackets.
     * Strings have odd lengths (they end with a digit).
     */
    MODULAR_ARITHMETIC(8, 5) {
        @Override
        int sample(Random random, int length, int[] tokens) {
            int value = tokens[0] = random.nextInt(5);
            for (int t = 1; t + 1 < length; t += 2) {
                int operator = random.nextInt(3);
                int digit = random.nextInt(5);
                tokens[t] = 5 + operator;
                tokens[t + 1] = digit;
                value = operator == 0 ? value + digit : operator == 1 ? value - digit + 5 : value * digit;
                value %= 5;
            }
            return value;
        }

        @Override
        int usableLength(int length) {
            return length % 2 == 0 ? length - 1 : length;
        }
    },
    /** Tokens from 4 symbols (odd length or resampled ties); which symbol occurs most often? */
    MAJORITY(4, 4) {
        @Override
        int sample(Random random, int length, int[] tokens) {
            while (true) {
                int[] counts = new int[4];
                for (int t = 0; t < length; t++) {
                    tokens[t] = random.nextInt(4);
                    counts[tokens[t]]++;
                }
                int best = 0;
                boolean tie = false;
                for (int s = 1; s < 4; s++) {
                    if (counts[s] > counts[best]) {
                        best = s;
                        tie = false;
                    } else if (counts[s] == counts[best]) {
                        tie = true;
                    }
                }
                if (!tie) {
                    return best;
                }
            }
        }
    },
    /**
     * a^k b^(n-k): is it a^n b^n, as many b as a? Half the strings are; the others split at another point, so
     * only counting tells them apart. Odd lengths drop their last token (no a^n b^n has odd length).
     */
    COUNTER(2, 2) {
        @Override
        int sample(Random random, int length, int[] tokens) {
            int half = length / 2;
            boolean balanced = random.nextBoolean();
            int as = half;
            if (!balanced) {
                do {
                    as = random.nextInt(length + 1);
                } while (as == half);
            }
            for (int t = 0; t < length; t++) {
                tokens[t] = t < as ? 0 : 1;
            }
            return balanced ? 1 : 0;
        }

        @Override
        int usableLength(int length) {
            return length % 2 == 0 ? length : length - 1;
        }
    };

    final int vocabulary;
    final int classes;

    FormalLanguage(int vocabulary, int classes) {
        this.vocabulary = vocabulary;
        this.classes = classes;
    }

    /**
     * Fills {@code tokens[0..length)} with a random string of the language and returns its class; {@code length}
     * is one {@link #usableLength} returned.
     */
    abstract int sample(Random random, int length, int[] tokens);

    /** The length a batch asked to have {@code length} tokens gets (some tasks need odd or even lengths). */
    int usableLength(int length) {
        return length;
    }
}
