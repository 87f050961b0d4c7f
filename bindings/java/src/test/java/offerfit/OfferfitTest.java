package offerfit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The Java binding against the CLI: the request corpus byte-identical, the malformed suite
 * case by case, the typed methods. Paths come from system properties set by
 * scripts/stages/java.sh: offerfit.cli, offerfit.requests, offerfit.root.
 */
class OfferfitTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static List<byte[]> requests;
    static List<byte[]> answers;

    static Path root() {
        return Path.of(System.getProperty("offerfit.root", "../.."));
    }

    static List<byte[]> lines(byte[] data) {
        List<byte[]> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < data.length; i++) {
            if (data[i] == '\n') {
                out.add(Arrays.copyOfRange(data, start, i));
                start = i + 1;
            }
        }
        if (start != data.length) throw new IllegalStateException("no final newline");
        return out;
    }

    /** `offerfit call --lines` on the requests (no newlines inside). */
    static List<byte[]> cliLines(List<byte[]> reqs) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(System.getProperty("offerfit.cli"), "call", "--lines")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Thread writer = new Thread(() -> {
            try (var in = p.getOutputStream()) {
                for (byte[] r : reqs) {
                    in.write(r);
                    in.write('\n');
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        writer.start();
        byte[] out = p.getInputStream().readAllBytes();
        writer.join();
        int rc = p.waitFor();
        assertTrue(rc == 0 || rc == 1, "offerfit call --lines exited " + rc);
        List<byte[]> got = lines(out);
        assertEquals(reqs.size(), got.size());
        return got;
    }

    @BeforeAll
    static void corpus() throws Exception {
        requests = lines(Files.readAllBytes(Path.of(System.getProperty("offerfit.requests"))));
        answers = cliLines(requests);
    }

    @Test
    void corpusIsByteIdenticalToTheCli() {
        assertTrue(requests.size() >= 270, "corpus of " + requests.size());
        for (int i = 0; i < requests.size(); i++) {
            assertArrayEquals(answers.get(i), Offerfit.callBytes(requests.get(i)), "request " + i);
            String text = new String(requests.get(i), StandardCharsets.UTF_8);
            assertEquals(new String(answers.get(i), StandardCharsets.UTF_8), Offerfit.call(text), "request " + i);
        }
    }

    @Test
    void corpusPlaceRequestsThroughTypedPlace() throws Exception {
        ObjectMapper strict = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
        int checked = 0;
        for (int i = 0; i < requests.size(); i++) {
            JsonNode req;
            try {
                req = strict.readTree(requests.get(i));
            } catch (IOException e) {
                continue;
            }
            if (req == null || !req.isObject() || !"place".equals(req.path("op").asText())) continue;
            ((com.fasterxml.jackson.databind.node.ObjectNode) req).remove("op");
            Contract.PlaceRequest typed;
            try {
                typed = strict.treeToValue(req, Contract.PlaceRequest.class);
            } catch (IOException | IllegalArgumentException e) {
                continue; // does not fit the records (e.g. an unknown field): call() covers it
            }
            if (typed.offers() == null || typed.tasks() == null) continue;
            JsonNode want = JSON.readTree(answers.get(i));
            try {
                Contract.Plan plan = Offerfit.place(typed);
                assertTrue(want.path("ok").asBoolean(), "request " + i);
                assertEquals(Offerfit.JSON.treeToValue(want, Contract.Plan.class), plan, "request " + i);
            } catch (OfferfitException e) {
                assertFalse(want.path("ok").asBoolean(), "request " + i + ": " + e.getMessage());
                assertEquals(want.path("errors").get(0).path("code").asText(), e.code());
                assertEquals(want.path("errors").size(), e.errors().size());
            }
            checked++;
        }
        assertTrue(checked >= 20, "only " + checked + " place requests");
    }

    record Case(String id, byte[] request, String code, String messageContains, String path) {}

    static List<Case> malformed() throws IOException {
        List<Case> cases = new ArrayList<>();
        try (Stream<Path> files = Files.list(root().resolve("tests/data/malformed"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList()) {
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    if (line.isBlank()) continue;
                    JsonNode c = JSON.readTree(line);
                    byte[] req = c.has("request_hex") ? HexFormat.of().parseHex(c.get("request_hex").asText())
                            : c.get("request").asText().getBytes(StandardCharsets.UTF_8);
                    for (JsonNode e : c.path("expand")) {
                        req = replaceFirst(req, e.get("marker").asText().getBytes(StandardCharsets.UTF_8),
                                e.get("repeat").asText().getBytes(StandardCharsets.UTF_8), e.get("times").asInt());
                    }
                    cases.add(new Case(c.get("id").asText(), req, c.get("code").asText(),
                            c.path("message_contains").asText(""), c.has("path") ? c.get("path").asText() : null));
                }
            }
        }
        return cases;
    }

    static byte[] replaceFirst(byte[] data, byte[] marker, byte[] repeat, int times) {
        for (int i = 0; i + marker.length <= data.length; i++) {
            if (Arrays.equals(data, i, i + marker.length, marker, 0, marker.length)) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.write(data, 0, i);
                for (int k = 0; k < times; k++) out.write(repeat, 0, repeat.length);
                out.write(data, i + marker.length, data.length - i - marker.length);
                return out.toByteArray();
            }
        }
        throw new IllegalArgumentException("marker not found");
    }

    @TestFactory
    Stream<DynamicTest> malformedSuite() throws IOException {
        List<Case> cases = malformed();
        assertTrue(cases.size() >= 190);
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.id(), () -> {
            byte[] answer = Offerfit.callBytes(c.request());
            for (byte b : answer) assertTrue(b != '\n', "answer spans lines");
            JsonNode v = JSON.readTree(answer);
            assertFalse(v.path("ok").asBoolean(true));
            JsonNode first = v.path("errors").get(0);
            assertEquals(c.code(), first.path("code").asText());
            assertTrue(first.path("message").asText().contains(c.messageContains()), first.toString());
            if (c.path() != null) assertEquals(c.path(), first.path("path").asText());
            OfferfitException e = assertThrows(OfferfitException.class, () -> Offerfit.decode(answer, Object.class));
            assertEquals(c.code(), e.code());
        }));
    }

    static final Contract.Offer OFFER = Contract.Offer.of("o1", "a1", "h1", "cpus:4;mem:1024;ports:[31000-31010]",
            "rack:r1");

    @Test
    void typedOps() {
        assertEquals(Offerfit.version(), Offerfit.ops().version());
        assertEquals(9, Offerfit.ops().ops().size());
        Contract.Value v = Offerfit.parseValue("[1-4]");
        assertEquals("RANGES", v.type());
        assertEquals(new Contract.Range(1, 4), v.ranges().range().get(0));
        List<Contract.Resource> res = Offerfit.parseResources("cpus:2;mem:64", "web");
        assertEquals("web", res.get(0).reservations().get(0).role());
        assertEquals("ports:[1-5]; cpus:1", Offerfit.formatResources("ports:[1-2,3-5];cpus:1"));
        List<Contract.Resource> left = Offerfit.subtractResources("cpus:4", "cpus:1");
        assertEquals(3.0, left.get(0).scalar().value());
        assertEquals(4.0, Offerfit.addResources(left, List.of(Contract.Resource.scalar("cpus", 1))).get(0).scalar().value());
        assertTrue(Offerfit.containsResources("cpus:4", "cpus:1"));
        assertFalse(Offerfit.equalResources("cpus:4", "cpus:1"));
        assertEquals(2, Offerfit.allocatableTo("cpus(web):2;cpus(db):3;mem:10", "web").size());
        assertEquals("a", Offerfit.parseAttributes("rack:r1;zone:a").get(1).text().value());
        Contract.ParsedConstraints parsed = Offerfit.parseConstraints(List.of("rack LIKE r[12]",
                List.of("host", "UNIQUE"), new Contract.ConstraintObject("zone", "IS", "a")), null, null);
        assertEquals("host UNIQUE", parsed.constraints().get(1).text());
        assertEquals("zone IS a", parsed.constraints().get(2).text());
        assertEquals("/constraints/1", Offerfit.parseConstraints(List.of("rack:LIKE:r1", "zone:CLUSTER:a"),
                "openwhisk", ":").warnings().get(0).path());
        Contract.CheckResult check = Offerfit.checkConstraints(List.of("rack LIKE r1"),
                new Contract.Host("h1", "rack:r1", null, null), null);
        assertTrue(check.satisfied());
    }

    @Test
    void place() {
        Contract.Plan plan = Offerfit.place(new Contract.PlaceRequest(List.of(OFFER),
                List.of(Contract.Task.of("t1", 1, 128).withPorts(List.of(0)), Contract.Task.of("t2", 9, 0)), null,
                Contract.PlaceOptions.none().withFrameworkId("f1").withRefuseSeconds(30)));
        assertEquals(List.of(31000), plan.accept().get(0).tasks().get(0).ports());
        assertEquals("insufficient_cpus", plan.unplaced().get(0).reasons().get(0).code());
        assertEquals("ACCEPT", plan.calls().get(0).path("type").asText());
        assertEquals(30, plan.calls().get(0).path("accept").path("filters").path("refuse_seconds").asInt());
        assertEquals(1, plan.stats().placed());
    }

    @Test
    void errorsCarryCodeMessagePathRendered() {
        OfferfitException e = assertThrows(OfferfitException.class, () -> Offerfit.place(new Contract.PlaceRequest(
                List.of(OFFER), List.of(Contract.Task.of("t1", 1, 1).withConstraints(List.of("rack LIKEE r1"))))));
        assertEquals("constraint.unknown_operator", e.code());
        assertEquals("/tasks/0/constraints/0", e.path());
        assertTrue(e.rendered().contains("^"));
        assertEquals("unknown operator `LIKEE`", e.message());
        assertTrue(e.getMessage().startsWith("constraint.unknown_operator: unknown operator `LIKEE` at /tasks/0/constraints/0\n"));
        OfferfitException two = assertThrows(OfferfitException.class,
                () -> Offerfit.parseConstraints(List.of("rack LIKEE r1", "zone FOO a"), null, null));
        assertEquals(2, two.errors().size());
        assertTrue(Offerfit.call("{oops").startsWith("{\"ok\":false,\"errors\":[{\"code\":\"request.json\""));
        assertTrue(new String(Offerfit.callBytes(new byte[] {(byte) 0xff}), StandardCharsets.UTF_8)
                .startsWith("{\"ok\":false,\"errors\":[{\"code\":\"request.utf8\""));
        assertTrue(Offerfit.call("").contains("\"request.json\""));
        OfferfitException reversed = assertThrows(OfferfitException.class, () -> Offerfit.parseValue("[5-1]"));
        assertEquals("/text", reversed.path());
        assertTrue(reversed.rendered().contains("^"));
    }

    @Test
    void engineKeepsOptions() {
        Contract.PlaceOptions spread = Contract.PlaceOptions.none().withStrategy("spread");
        Contract.PlaceRequest req = new Contract.PlaceRequest(List.of(OFFER,
                Contract.Offer.of("o2", "a2", "h2", "cpus:4;mem:1024", null)),
                List.of(Contract.Task.of("t1", 1, 1), Contract.Task.of("t2", 1, 1)));
        try (Offerfit.Engine engine = new Offerfit.Engine(spread)) {
            Contract.Plan got = engine.place(req);
            assertEquals(2, got.accept().size());
            assertEquals(Offerfit.place(new Contract.PlaceRequest(req.offers(), req.tasks(), null, spread)), got);
        }
        OfferfitException e = assertThrows(OfferfitException.class,
                () -> new Offerfit.Engine(Contract.PlaceOptions.none().withStrategy("fastest")));
        assertEquals("/options/strategy", e.path());
    }

    @Test
    void threads() throws Exception {
        String req = "{\"op\":\"parse_resources\",\"text\":\"cpus:4;mem:1024;ports:[31000-32000]\"}";
        String want = Offerfit.call(req);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            results.add(pool.submit(() -> {
                for (int i = 0; i < 200; i++) if (!Offerfit.call(req).equals(want)) return false;
                return true;
            }));
        }
        for (Future<Boolean> f : results) if (!f.get()) fail("a thread got another answer");
        pool.shutdown();
    }
}
