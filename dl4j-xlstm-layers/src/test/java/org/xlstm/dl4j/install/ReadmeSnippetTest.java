package org.xlstm.dl4j.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The consumer projects under {@code src/it} (built by {@code mvn verify}) must carry exactly the POM snippets
 * the README tells users to add, so that what the build proves is what users copy.
 */
class ReadmeSnippetTest {
    private static final Pattern COMMENT = Pattern.compile("<!--.*?-->", Pattern.DOTALL);

    @ParameterizedTest
    @CsvSource({"CPU, readme-cpu", "OpenBLAS opt-in, openblas-opt-in"})
    void consumerProjectCarriesTheReadmeSnippet(String name, String project) throws IOException {
        String readme = read(Paths.get("..", "README.md"));
        String pom = read(Paths.get("src", "it", project, "pom.xml"));

        String fromReadme = between(readme, "<!-- README snippet (" + name + ") -->", "<!-- end of README snippet -->",
                "README.md");
        String fromPom = between(pom, "<!-- README snippet (" + name + ") -->", "<!-- end of README snippet -->",
                project + "/pom.xml").replace("@project.version@", System.getProperty("project.version", "0.1.0-SNAPSHOT"));
        assertTrue(fromReadme.contains("<dependency>"), "the README's " + name + " snippet declares dependencies");
        assertEquals(normalise(fromReadme), normalise(fromPom),
                "the README's " + name + " snippet and the consumer project " + project + " differ");
    }

    private static String read(Path path) throws IOException {
        return new String(Files.readAllBytes(path), StandardCharsets.UTF_8);
    }

    private static String between(String text, String start, String end, String where) {
        Matcher m = Pattern.compile(Pattern.quote(start) + "(.*?)" + Pattern.quote(end), Pattern.DOTALL).matcher(text);
        assertTrue(m.find(), where + " has no block between '" + start + "' and '" + end + "'");
        return m.group(1);
    }

    /** Comments and layout are free; the elements and values must be the same. */
    private static String normalise(String xml) {
        return COMMENT.matcher(xml).replaceAll("").replaceAll("\\s+", "");
    }
}
