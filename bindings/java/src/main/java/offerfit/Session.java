package offerfit;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * A Mesos framework's scheduler state machine (SESSION.md, docs/session.md) over the C ABI
 * ({@code offerfit_session_new/step/free}): events in, calls out, no I/O. Feed it every input,
 * POST the calls of each answer in order, persist what its notices ask before POSTing (the
 * framework id of {@code subscribed}, the task of {@code launching}), and step it with a
 * {@code tick} at {@code wake_at}.
 *
 * <pre>{@code
 * try (Session s = new Session(Session.Config.of("fw", "web"))) {
 *     Session.Actions a = s.stepValue(Session.Input.connect(0));
 *     a.calls().get(0).path("type").asText();              // "SUBSCRIBE"
 *     String line = s.step("{\"now\": 1, \"tick\": {}}");  // offerfit session's bytes
 * }
 * }</pre>
 *
 * <p>{@link #step(String)}, {@link #stepBytes(byte[])} and {@link #step(JsonNode)} answer a
 * refused input with its {@code {"ok":false,...}} answer (nothing changed); {@link #stepValue}
 * throws {@link OfferfitException} for it. Steps are {@code synchronized}: a session may be used
 * from several threads, one step at a time (inputs must still come in time order). After
 * {@link #close()} (idempotent) a step throws {@link IllegalStateException}; a session that is
 * garbage-collected unclosed is freed by a {@link Cleaner}.
 */
public final class Session implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    /** The native session; its own object so the cleaner does not keep the Session alive. */
    private static final class Handle implements Runnable {
        private Pointer session;

        Handle(Pointer session) {
            this.session = session;
        }

        @Override
        public synchronized void run() {
            if (session != null) {
                Offerfit.LIB.offerfit_session_free(session);
                session = null;
            }
        }
    }

    private final Handle handle;
    private final Cleaner.Cleanable cleanable;

    /**
     * Builds a session from its config as JSON text (SESSION.md, "Config").
     *
     * @throws OfferfitException for a refused config (the errors {@code offerfit session} prints)
     */
    public Session(String config) {
        this(config.getBytes(StandardCharsets.UTF_8));
    }

    /** Builds a session from its config: a {@link Config}, a {@code Map} or a {@code JsonNode} (Jackson writes it). */
    public Session(Object config) {
        this(json(config));
    }

    private Session(byte[] config) {
        Memory errorOut = new Memory(Native.POINTER_SIZE);
        errorOut.setPointer(0, null);
        Pointer p = Offerfit.LIB.offerfit_session_new(Offerfit.native_(config), config.length, errorOut);
        if (p == null) {
            Pointer err = errorOut.getPointer(0);
            String answer = "{\"ok\":false,\"errors\":[]}";
            if (err != null) {
                answer = err.getString(0, "UTF-8");
                Offerfit.LIB.offerfit_string_free(err);
            }
            Offerfit.decode(answer.getBytes(StandardCharsets.UTF_8), Object.class);
            throw new IllegalStateException("offerfit_session_new failed");
        }
        handle = new Handle(p);
        cleanable = CLEANER.register(this, handle);
    }

    private static byte[] json(Object value) {
        if (value instanceof byte[] bytes) return bytes;
        try {
            return Offerfit.JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("offerfit: cannot write the value as JSON", e);
        }
    }

    /** Answers one input line (UTF-8 JSON) with one output line: byte for byte what {@code offerfit session} prints. */
    public byte[] stepBytes(byte[] line) {
        synchronized (handle) {
            if (handle.session == null) throw new IllegalStateException("offerfit: Session step after close(): make a new Session");
            Memory outLen = new Memory(8);
            return Offerfit.take(Offerfit.LIB.offerfit_session_step(handle.session, Offerfit.native_(line), line.length, outLen), outLen);
        }
    }

    /** Answers one input line (JSON text) with one output line: {@code offerfit session}'s bytes, as text. */
    public String step(String line) {
        return new String(stepBytes(line.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    /** Answers one input object with the answer object ({@code ok} true or false). */
    public JsonNode step(JsonNode input) {
        try {
            return Offerfit.JSON.readTree(stepBytes(json(input)));
        } catch (IOException e) {
            throw new IllegalStateException("offerfit: unreadable answer", e);
        }
    }

    /**
     * Answers one input (an {@link Input}, a {@code Map} or a {@code JsonNode}) with its typed actions.
     *
     * @throws OfferfitException for a refused input (nothing changed in the session)
     */
    public Actions stepValue(Object input) {
        return Offerfit.decode(stepBytes(json(input)), Actions.class);
    }

    /** Frees the session; closing twice does nothing. */
    @Override
    public void close() {
        cleanable.clean();
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        synchronized (handle) {
            return handle.session == null;
        }
    }

    /** A session config; {@code session} (timers) and {@code tasks} (the store's tasks) as Maps or JsonNodes. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Config(Framework framework, Contract.PlaceOptions options, Object session, List<?> tasks) {
        /** A framework {@code name} with its roles. */
        public static Config of(String name, String... roles) {
            return new Config(new Framework(name, List.of(roles), null, null, null, null, null), null, null, null);
        }

        public Config withOptions(Contract.PlaceOptions o) { return new Config(framework, o, session, tasks); }
        public Config withSession(Object s) { return new Config(framework, options, s, tasks); }
        public Config withTasks(List<?> t) { return new Config(framework, options, session, t); }
    }

    /** The framework of a config; {@code id} is given on failover (persisted from {@code subscribed}). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Framework(String name, List<String> roles, String principal, String user,
                            @JsonProperty("failover_timeout") Double failoverTimeout, Boolean checkpoint, String id) {
        public Framework withId(String frameworkId) {
            return new Framework(name, roles, principal, user, failoverTimeout, checkpoint, frameworkId);
        }
    }

    /** One input: {@code now} (Unix seconds, never decreasing) and exactly one kind. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Input(double now, Map<String, Object> connect, JsonNode event, Map<String, Object> disconnected,
                        List<Contract.Task> submit, List<String> kill, Map<String, Object> tick) {
        public static Input connect(double now) { return new Input(now, Map.of(), null, null, null, null, null); }
        /** One event of the stream, as the master sent it. */
        public static Input event(double now, JsonNode event) { return new Input(now, null, event, null, null, null, null); }
        public static Input disconnected(double now) { return new Input(now, null, null, Map.of(), null, null, null); }
        public static Input submit(double now, List<Contract.Task> tasks) { return new Input(now, null, null, null, tasks, null, null); }
        public static Input kill(double now, List<String> taskIds) { return new Input(now, null, null, null, null, taskIds, null); }
        public static Input tick(double now) { return new Input(now, null, null, null, null, null, Map.of()); }
    }

    /** An accepted step: the Mesos v1 calls to POST in order (as JSON trees), notices, the next tick time (or null). */
    public record Actions(List<JsonNode> calls, List<Notice> notices, @JsonProperty("wake_at") Double wakeAt) {}

    /**
     * One notice; {@code kind} says which fields it holds: {@code subscribed} (frameworkId),
     * {@code launching} (taskId, agentId, hostname, attributes, region, zone), {@code task_state}
     * (taskId, state, reason, message, terminal, known), {@code unplaced} (taskId, reasons,
     * nearest), {@code error} (message), {@code reconnect}, {@code offer_unreadable} (offerId, errors).
     */
    public record Notice(String kind, @JsonProperty("framework_id") String frameworkId,
                         @JsonProperty("task_id") String taskId, @JsonProperty("agent_id") String agentId,
                         String hostname, List<Contract.Attribute> attributes, String region, String zone,
                         String state, String reason, String message, Boolean terminal, Boolean known,
                         List<Contract.Reason> reasons, Contract.Nearest nearest,
                         @JsonProperty("offer_id") String offerId, List<Contract.ErrorObject> errors) {}
}
