package offerfit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** {@link Session} against every golden transcript in tests/data/session (whatever goldens are there). */
class SessionTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TICK_OK = "{\"ok\":true,\"calls\":[],\"notices\":[],\"wake_at\":null}";

    record Transcript(String name, byte[] config, List<byte[]> inputs, List<byte[]> want) {}

    static List<byte[]> nonEmptyLines(byte[] data) {
        List<byte[]> out = new ArrayList<>();
        for (byte[] l : OfferfitTest.lines(data.length > 0 && data[data.length - 1] != '\n' ? append(data) : data)) {
            if (l.length > 0) out.add(l);
        }
        return out;
    }

    static byte[] append(byte[] data) {
        byte[] b = java.util.Arrays.copyOf(data, data.length + 1);
        b[data.length] = '\n';
        return b;
    }

    static List<Transcript> transcripts() throws IOException {
        Path dir = OfferfitTest.root().resolve("tests/data/session");
        List<Transcript> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString();
                if (!name.endsWith(".jsonl") || name.endsWith(".out.jsonl")) continue;
                List<byte[]> lines = nonEmptyLines(Files.readAllBytes(p));
                List<byte[]> want = nonEmptyLines(Files.readAllBytes(dir.resolve(name.replace(".jsonl", ".out.jsonl"))));
                byte[] config = JSON.writeValueAsBytes(JSON.readTree(lines.get(0)).get("config"));
                out.add(new Transcript(name, config, lines.subList(1, lines.size()), want));
            }
        }
        assertFalse(out.isEmpty(), "no golden transcript in " + dir);
        return out;
    }

    @TestFactory
    Stream<DynamicTest> stepBytesReplaysEveryTranscriptByteForByte() throws IOException {
        return transcripts().stream().map(t -> DynamicTest.dynamicTest(t.name(), () -> {
            assertEquals(t.inputs().size(), t.want().size());
            try (Session s = new Session(new String(t.config(), StandardCharsets.UTF_8))) {
                for (int i = 0; i < t.inputs().size(); i++) {
                    byte[] got = s.stepBytes(t.inputs().get(i));
                    int n = i;
                    assertArrayEquals(t.want().get(i), got, () -> t.name() + " input " + (n + 1) + ": "
                            + new String(t.inputs().get(n), StandardCharsets.UTF_8) + "\n got: " + new String(got, StandardCharsets.UTF_8));
                }
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> stepJsonNodeAnswersTheGoldenValues() throws IOException {
        return transcripts().stream().map(t -> DynamicTest.dynamicTest(t.name(), () -> {
            try (Session s = new Session(JSON.readTree(t.config()))) {
                for (int i = 0; i < t.inputs().size(); i++) {
                    String line = new String(t.inputs().get(i), StandardCharsets.UTF_8);
                    JsonNode input;
                    try {
                        input = JSON.readTree(line);
                    } catch (IOException e) {
                        input = null;
                    }
                    // A line a tree cannot stand for (bad JSON) still goes in as text, so the
                    // session's state stays that of the transcript.
                    JsonNode got = input == null ? JSON.readTree(s.step(line)) : s.step(input);
                    assertEquals(JSON.readTree(t.want().get(i)), got, t.name() + " input " + (i + 1) + ": " + line);
                }
            }
        }));
    }

    @Test
    void stepValueIsTyped() {
        try (Session s = new Session(Session.Config.of("fw", "web"))) {
            Session.Actions a = s.stepValue(Session.Input.connect(0));
            assertEquals("SUBSCRIBE", a.calls().get(0).path("type").asText());
            assertNull(a.wakeAt());
            JsonNode subscribed = JSON.valueToTree(Map.of("type", "SUBSCRIBED",
                    "subscribed", Map.of("framework_id", Map.of("value", "F1"))));
            a = s.stepValue(Session.Input.event(1, subscribed));
            assertEquals("subscribed", a.notices().get(0).kind());
            assertEquals("F1", a.notices().get(0).frameworkId());
            a = s.stepValue(Session.Input.submit(2, List.of(Contract.Task.of("web-1", 1, 256))));
            assertEquals("REVIVE", a.calls().get(0).path("type").asText());
            OfferfitException e = assertThrows(OfferfitException.class, () -> s.stepValue(Session.Input.tick(1)));
            assertEquals("session.now", e.code());
            assertEquals(TICK_OK.replace("null", "" + a.wakeAt().longValue()), s.step("{\"now\": 3, \"tick\": {}}"));
        }
    }

    @Test
    void refusedConfigThrows() {
        OfferfitException e = assertThrows(OfferfitException.class, () -> new Session("{\"framework\": {}}"));
        assertEquals("request.missing_field", e.code());
        assertTrue(e.path().startsWith("/framework"), e.path());
        e = assertThrows(OfferfitException.class, () -> new Session(
                Session.Config.of("fw").withOptions(Contract.PlaceOptions.none().withStrategy("spread"))
                        .withSession(Map.of("reconcile_backoff", List.of(5, 1)))));
        assertEquals("/session/reconcile_backoff", e.path());
        e = assertThrows(OfferfitException.class, () -> new Session(new byte[] {(byte) 0xff}));
        assertEquals("request.utf8", e.code());
    }

    @Test
    void closeIsIdempotentAndAStepAfterItThrows() {
        Session s = new Session("{\"framework\": {\"name\": \"fw\"}}");
        assertEquals(TICK_OK, s.step("{\"now\": 5, \"tick\": {}}"));
        assertTrue(s.step("{oops").startsWith("{\"ok\":false,\"errors\":[{\"code\":\"request.json\""));
        assertFalse(s.isClosed());
        s.close();
        s.close();
        assertTrue(s.isClosed());
        assertThrows(IllegalStateException.class, () -> s.step("{\"now\": 6, \"tick\": {}}"));
        assertThrows(IllegalStateException.class, () -> s.stepValue(Session.Input.tick(6)));
    }

    @Test
    void oneSessionFromManyThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (Session s = new Session("{\"framework\": {\"name\": \"fw\"}}")) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        if (!TICK_OK.equals(s.step("{\"now\": 100, \"tick\": {}}"))) return false;
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : results) assertTrue(f.get());
        } finally {
            pool.shutdown();
        }
    }
}
