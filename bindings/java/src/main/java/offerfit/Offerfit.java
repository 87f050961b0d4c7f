package offerfit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * offerfit for the JVM: Mesos offer placement, Marathon-style constraints and Mesos resource
 * arithmetic, through offerfit's C ABI ({@code libofferfit_c}, bindings/c/include/offerfit.h)
 * loaded with JNA.
 *
 * <p>{@link #call(String)} answers one request of the JSON contract with exactly what
 * {@code offerfit call} prints; the typed methods ({@link #place}, {@link #parseResources}, ...)
 * take and return the records of {@link Contract} and throw {@link OfferfitException} when the
 * request is refused. Every method is thread-safe.
 *
 * <p>The library is found by JNA ({@code jna.library.path}, the system's paths) or at the path in
 * the system property {@code offerfit.library} or the environment variable
 * {@code OFFERFIT_LIBRARY}.
 */
public final class Offerfit {
    private Offerfit() {}

    /** The C ABI, as JNA maps it; size_t arguments are passed as {@code long} via {@link #sizeT}. */
    interface Lib extends Library {
        Pointer offerfit_call(Pointer json, long len, Pointer outLen);
        void offerfit_string_free(Pointer s);
        String offerfit_version();
        Pointer offerfit_engine_new(Pointer optionsJson, long len, Pointer errorOut);
        Pointer offerfit_engine_call(Pointer engine, Pointer json, long len, Pointer outLen);
        void offerfit_engine_free(Pointer engine);
        Pointer offerfit_session_new(Pointer configJson, long len, Pointer errorOut);
        Pointer offerfit_session_step(Pointer session, Pointer json, long len, Pointer outLen);
        void offerfit_session_free(Pointer session);
    }

    static final Lib LIB = load();

    private static Lib load() {
        if (Native.SIZE_T_SIZE != 8) {
            throw new UnsatisfiedLinkError("offerfit's Java binding needs a 64-bit JVM (size_t of 8 bytes)");
        }
        String path = System.getProperty("offerfit.library");
        if (path == null) path = System.getenv("OFFERFIT_LIBRARY");
        return Native.load(path != null ? path : "offerfit_c", Lib.class);
    }

    /** Shared and thread-safe once configured; numbers keep their JSON form in trees. */
    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .configure(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS, false);

    /** Native memory holding {@code data} (one byte at least: a NULL request would be request.null_pointer). */
    static Memory native_(byte[] data) {
        Memory m = new Memory(Math.max(1, data.length));
        if (data.length > 0) m.write(0, data, 0, data.length);
        return m;
    }

    /** Reads and frees a response of the C ABI. */
    static byte[] take(Pointer p, Memory outLen) {
        if (p == null) {
            return "{\"ok\":false,\"errors\":[{\"code\":\"internal\",\"message\":\"offerfit returned NULL\"}]}"
                    .getBytes(StandardCharsets.UTF_8);
        }
        try {
            long n = outLen.getLong(0);
            return p.getByteArray(0, Math.toIntExact(n));
        } finally {
            LIB.offerfit_string_free(p);
        }
    }

    /** Answers one contract request given as UTF-8 bytes; the answer's bytes are the CLI's. Never throws. */
    public static byte[] callBytes(byte[] request) {
        Memory req = native_(request);
        Memory outLen = new Memory(8);
        return take(LIB.offerfit_call(req, request.length, outLen), outLen);
    }

    /** Answers one contract request ({@code {"op": ...}}) with its JSON answer, {@code ok:false} included. */
    public static String call(String request) {
        return new String(callBytes(request.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    /** The library version (the version op's "version"). */
    public static String version() {
        return LIB.offerfit_version();
    }

    // -----------------------------------------------------------------------------------------
    // typed

    static <T> T decode(byte[] answer, Class<T> type) {
        try {
            JsonNode tree = JSON.readTree(answer);
            if (!tree.path("ok").asBoolean(false)) {
                List<Contract.ErrorObject> errors = JSON.convertValue(tree.path("errors"),
                        new TypeReference<List<Contract.ErrorObject>>() {});
                throw new OfferfitException(errors == null ? List.of() : errors);
            }
            ((ObjectNode) tree).remove("ok");
            return JSON.treeToValue(tree, type);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("offerfit: unreadable answer", e);
        }
    }

    static byte[] encode(String op, Object fields) {
        ObjectNode req = JSON.createObjectNode().put("op", op);
        if (fields != null) req.setAll((ObjectNode) JSON.valueToTree(fields));
        try {
            return JSON.writeValueAsBytes(req);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static <T> T ask(String op, Object fields, Class<T> type) {
        return decode(callBytes(encode(op, fields)), type);
    }

    private static ObjectNode obj() {
        return JSON.createObjectNode();
    }

    private static JsonNode tree(Object o) {
        return JSON.valueToTree(o);
    }

    record ValueAnswer(Contract.Value value) {}
    record ResourcesAnswer(List<Contract.Resource> resources) {}
    record ResultAnswer(boolean result) {}
    record TextAnswer(String text) {}
    record AttributesAnswer(List<Contract.Attribute> attributes) {}

    /** The version op: the library version and its ops. */
    public static Contract.VersionInfo ops() {
        return ask("version", null, Contract.VersionInfo.class);
    }

    /** Parses a Mesos value ("[31000-32000]", "{a,b}", "4.5", "text"). */
    public static Contract.Value parseValue(String text) {
        return ask("parse_value", obj().put("text", text), ValueAnswer.class).value();
    }

    /** Parses Mesos resources text; {@code defaultRole} may be null ("*"). */
    public static List<Contract.Resource> parseResources(String text, String defaultRole) {
        ObjectNode f = obj().put("text", text);
        if (defaultRole != null) f.put("default_role", defaultRole);
        return ask("parse_resources", f, ResourcesAnswer.class).resources();
    }

    /** Prints resources (a list of Resource, or text) in Mesos' form. */
    public static String formatResources(Object resources) {
        return ask("format_resources", obj().set("resources", tree(resources)), TextAnswer.class).text();
    }

    private static ObjectNode math(String operation, Object left, Object right, String role) {
        ObjectNode f = obj().put("operation", operation);
        f.set("left", tree(left));
        if (right != null) f.set("right", tree(right));
        if (role != null) f.put("role", role);
        return f;
    }

    public static List<Contract.Resource> addResources(Object left, Object right) {
        return ask("resource_math", math("add", left, right, null), ResourcesAnswer.class).resources();
    }

    /** Mesos' Resources::subtract: left less right. */
    public static List<Contract.Resource> subtractResources(Object left, Object right) {
        return ask("resource_math", math("subtract", left, right, null), ResourcesAnswer.class).resources();
    }

    public static boolean containsResources(Object left, Object right) {
        return ask("resource_math", math("contains", left, right, null), ResultAnswer.class).result();
    }

    public static boolean equalResources(Object left, Object right) {
        return ask("resource_math", math("equal", left, right, null), ResultAnswer.class).result();
    }

    /** The part of {@code resources} that {@code role} may use. */
    public static List<Contract.Resource> allocatableTo(Object resources, String role) {
        return ask("resource_math", math("allocatable_to", resources, null, role), ResourcesAnswer.class).resources();
    }

    /** Parses Mesos attributes text ("rack:r1;zone:a"), in input order. */
    public static List<Contract.Attribute> parseAttributes(String text) {
        return ask("parse_attributes", obj().put("text", text), AttributesAnswer.class).attributes();
    }

    /** Parses constraints ({@code dialect}, {@code delimiter} may be null); invalid ones throw. */
    public static Contract.ParsedConstraints parseConstraints(List<?> constraints, String dialect, String delimiter) {
        ObjectNode f = obj();
        f.set("constraints", tree(constraints));
        if (dialect != null) f.put("dialect", dialect);
        if (delimiter != null) f.put("delimiter", delimiter);
        return ask("parse_constraints", f, Contract.ParsedConstraints.class);
    }

    /** Evaluates constraints against a candidate (a {@link Contract.Host} or an Offer), counting {@code placed}. */
    public static Contract.CheckResult checkConstraints(List<?> constraints, Object candidate,
                                                        List<Contract.RunningTask> placed) {
        ObjectNode f = obj();
        f.set("constraints", tree(constraints));
        f.set("candidate", tree(candidate));
        if (placed != null) f.set("placed", tree(placed));
        return ask("check_constraints", f, Contract.CheckResult.class);
    }

    /** Places a batch of tasks on offers: accept, decline, unplaced with reasons, and Mesos calls. */
    public static Contract.Plan place(Contract.PlaceRequest request) {
        return ask("place", request, Contract.Plan.class);
    }

    /**
     * Keeps {@code place} options for repeated calls ({@code offerfit_engine_new}): a place
     * request without options uses the engine's. Thread-safe; close it when done.
     */
    public static final class Engine implements AutoCloseable {
        private Pointer handle;

        public Engine(Contract.PlaceOptions options) {
            byte[] data;
            try {
                data = JSON.writeValueAsBytes(options);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(e);
            }
            Memory errorOut = new Memory(Native.POINTER_SIZE);
            errorOut.setPointer(0, null);
            handle = LIB.offerfit_engine_new(native_(data), data.length, errorOut);
            if (handle == null) {
                Pointer err = errorOut.getPointer(0);
                String answer = "{\"ok\":false,\"errors\":[]}";
                if (err != null) {
                    answer = err.getString(0, "UTF-8");
                    LIB.offerfit_string_free(err);
                }
                decode(answer.getBytes(StandardCharsets.UTF_8), Object.class);
                throw new IllegalStateException("offerfit_engine_new failed");
            }
        }

        /** {@link Offerfit#callBytes} with this engine's options. */
        public synchronized byte[] callBytes(byte[] request) {
            Memory outLen = new Memory(8);
            return take(LIB.offerfit_engine_call(handle, native_(request), request.length, outLen), outLen);
        }

        public String call(String request) {
            return new String(callBytes(request.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
        }

        public Contract.Plan place(Contract.PlaceRequest request) {
            return decode(callBytes(encode("place", request)), Contract.Plan.class);
        }

        @Override
        public synchronized void close() {
            if (handle != null) {
                LIB.offerfit_engine_free(handle);
                handle = null;
            }
        }
    }
}
