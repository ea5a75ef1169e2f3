package org.xlstm.samples.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

import org.xlstm.samples.XlstmCli;

import picocli.CommandLine;

/** Runs a sample subcommand in-process for the smoke tests and reads back what it wrote. */
public final class SampleRun {

    private SampleRun() {
    }

    /** Runs the CLI with {@code args}, asserts exit code 0, and returns what it printed to stdout. */
    public static String run(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            CommandLine cli = XlstmCli.commandLine();
            cli.setErr(new PrintWriter(err, true));
            code = cli.execute(args);
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out + err);
        return out;
    }

    /** The rows of a CSV after its header, which must equal {@code header}; every row has the header's columns. */
    public static List<String[]> csv(Path file, String header) throws IOException {
        List<String> lines = Files.readAllLines(file);
        assertEquals(header, lines.get(0), file.toString());
        int columns = header.split(",").length;
        List<String[]> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",");
            assertEquals(columns, cells.length, line);
            rows.add(cells);
        }
        return rows;
    }

    /** Asserts that {@code file} is a PNG that decodes to an image at least {@code minWidth} wide. */
    public static void assertPng(Path file, int minWidth) throws IOException {
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image, file + " is not a readable image");
        assertTrue(image.getWidth() >= minWidth, file + " is " + image.getWidth() + " px wide");
    }
}
