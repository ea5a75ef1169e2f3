package org.xlstm.samples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The process's resident memory outside the Java heap, from {@code /proc/self/smaps} (Linux): the resident
 * kilobytes of every mapping, less those of the Java heap's reservation. Neither javacpp's tally nor ND4J's
 * {@code allocatedMemory} counts ND4J's CPU array buffers, so the resident size is what sees them; and the heap
 * has to be taken out by its own pages, because G1 commits heap it has not touched yet (resident minus committed
 * heap goes negative) and touches more of it as it sizes its young generation, which is not native growth.
 *
 * <p>The heap is the run of adjacent anonymous mappings whose span is closest to the maximum heap size, within 2%
 * (G1 reserves it in one piece and commits parts of it, which splits it into mappings).
 */
final class ResidentMemory {

    private ResidentMemory() {
    }

    /** Resident bytes outside the Java heap's reservation; throws if smaps cannot be read or the heap not found. */
    static long outsideHeap() {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        } catch (IOException e) {
            throw new IllegalStateException("soak: cannot read /proc/self/smaps to measure native memory", e);
        }
        long maxHeap = Runtime.getRuntime().maxMemory();
        long total = 0;
        long bestSpan = 0;
        long bestRss = 0;
        long runStart = -1;
        long runEnd = -1;
        long runRss = 0;
        boolean anonymous = false;
        for (String line : lines) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && isHex(line, 0, dash)) {
                long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                String[] fields = line.trim().split("\\s+");
                anonymous = fields.length < 6;
                if (!anonymous || start != runEnd) {
                    runStart = anonymous ? start : -1;
                    runRss = 0;
                }
                runEnd = anonymous ? end : -1;
            } else if (line.startsWith("Rss:")) {
                long bytes = Long.parseLong(line.substring(4).trim().split("\\s+")[0]) * 1024;
                total += bytes;
                if (anonymous) {
                    runRss += bytes;
                    long span = runEnd - runStart;
                    if (Math.abs(span - maxHeap) < Math.abs(bestSpan - maxHeap)) {
                        bestSpan = span;
                        bestRss = runRss;
                    }
                }
            }
        }
        if (Math.abs(bestSpan - maxHeap) > maxHeap / 50) {
            throw new IllegalStateException("soak: no mapping of the Java heap's size (" + maxHeap
                    + " bytes) in /proc/self/smaps; the closest spans " + bestSpan + " bytes");
        }
        return total - bestRss;
    }

    private static boolean isHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }
}
