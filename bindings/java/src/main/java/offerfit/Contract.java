package offerfit;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * The shapes of the offerfit JSON contract as records (Jackson). Request records omit null
 * fields; fields that take several forms (resources as a list or Mesos text, constraints as
 * text, an array or an object) are {@code Object}: a {@code String}, a {@code List}, a record.
 */
public final class Contract {
    private Contract() {}

    public record Id(String value) {}

    public record Span(int start, int end) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ErrorObject(String code, String message, String help, String path, Span span, Integer line,
                              Integer column, String rendered) {}

    public record Scalar(double value) {}

    public record Range(long begin, long end) {}

    public record Ranges(List<Range> range) {}

    public record ValueSet(List<String> item) {}

    public record Text(String value) {}

    /** A Mesos v1 Value: {@code type} names the field that is set. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Value(String type, Scalar scalar, Ranges ranges, ValueSet set, Text text) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Reservation(String type, String role, String principal, JsonNode labels) {}

    /** A Mesos v1 Resource (output uses the {@code reservations} form). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Resource(String name, String type, Scalar scalar, Ranges ranges, ValueSet set,
                           List<Reservation> reservations, String role, JsonNode reservation, JsonNode disk,
                           JsonNode shared, JsonNode revocable) {
        /** A resource with only a scalar value, unreserved. */
        public static Resource scalar(String name, double value) {
            return new Resource(name, "SCALAR", new Scalar(value), null, null, null, null, null, null, null, null);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Attribute(String name, String type, Scalar scalar, Ranges ranges, ValueSet set, Text text) {}

    /** A Mesos v1 Offer; {@code resources} is a list of Resource or Mesos text, {@code attributes} likewise. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Offer(Id id, @JsonProperty("agent_id") Id agentId, @JsonProperty("framework_id") Id frameworkId,
                        String hostname, Object resources, Object attributes, JsonNode domain,
                        JsonNode unavailability) {
        public static Offer of(String id, String agentId, String hostname, Object resources, Object attributes) {
            return new Offer(new Id(id), new Id(agentId), null, hostname, resources, attributes, null, null);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ConstraintObject(String field, String operator, String value) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ParsedConstraint(String field, String operator, String value, String text) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RunningTask(String id, String group, String hostname, @JsonProperty("agent_id") String agentId,
                              Object attributes, String region, String zone) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Host(String hostname, Object attributes, String region, String zone) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Volume(double size, String type, String profile, @JsonProperty("max_size") Double maxSize,
                         List<Object> require, @JsonProperty("persistence_id") String persistenceId,
                         @JsonProperty("container_path") String containerPath) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Preference(Object constraint, Double weight) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Elastic(Double cpus, Double mem) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Executor(String id, Double cpus, Double mem, Double disk) {}

    /** One task to place; build it with {@link Task#of} and the {@code with...} methods. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Task(String id, String group, Integer instances, String role,
                       @JsonProperty("accepted_roles") List<String> acceptedRoles, Double cpus, Double mem, Double disk,
                       Double gpus, Map<String, Double> scalars, List<Integer> ports, List<Volume> volumes,
                       List<Object> constraints, List<Preference> preferences, String dialect, String gang,
                       Elastic elastic, Executor executor, @JsonProperty("gpu_scheduling") String gpuScheduling,
                       @JsonProperty("task_info") JsonNode taskInfo, Boolean revocable) {
        public static Task of(String id, double cpus, double mem) {
            return new Task(id, null, null, null, null, cpus, mem, null, null, null, null, null, null, null, null,
                    null, null, null, null, null, null);
        }

        public Task withGroup(String g) {
            return new Task(id, g, instances, role, acceptedRoles, cpus, mem, disk, gpus, scalars, ports, volumes,
                    constraints, preferences, dialect, gang, elastic, executor, gpuScheduling, taskInfo, revocable);
        }

        public Task withPorts(List<Integer> p) {
            return new Task(id, group, instances, role, acceptedRoles, cpus, mem, disk, gpus, scalars, p, volumes,
                    constraints, preferences, dialect, gang, elastic, executor, gpuScheduling, taskInfo, revocable);
        }

        /** Lets the task run on revocable resources (Mesos oversubscription). */
        public Task withRevocable(boolean r) {
            return new Task(id, group, instances, role, acceptedRoles, cpus, mem, disk, gpus, scalars, ports, volumes,
                    constraints, preferences, dialect, gang, elastic, executor, gpuScheduling, taskInfo, r);
        }

        public Task withConstraints(List<Object> c) {
            return new Task(id, group, instances, role, acceptedRoles, cpus, mem, disk, gpus, scalars, ports, volumes,
                    c, preferences, dialect, gang, elastic, executor, gpuScheduling, taskInfo, revocable);
        }
    }

    /** The options of a place request; {@code strategy} is "binpack", "spread", "first_fit" or a weight map. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PlaceOptions(Object strategy, String profile, List<String> roles,
                               @JsonProperty("refuse_seconds") Double refuseSeconds,
                               @JsonProperty("port_selection") String portSelection, Long seed,
                               @JsonProperty("port_blacklist") Map<String, List<Integer>> portBlacklist,
                               @JsonProperty("gpu_scheduling") String gpuScheduling,
                               @JsonProperty("framework_id") String frameworkId, String principal, Boolean explain,
                               Double now, @JsonProperty("drain_seconds") Double drainSeconds,
                               @JsonProperty("local_region") String localRegion, JsonNode limits) {
        public static PlaceOptions none() {
            return new PlaceOptions(null, null, null, null, null, null, null, null, null, null, null, null, null,
                    null, null);
        }

        public PlaceOptions withStrategy(Object s) {
            return new PlaceOptions(s, profile, roles, refuseSeconds, portSelection, seed, portBlacklist,
                    gpuScheduling, frameworkId, principal, explain, now, drainSeconds, localRegion, limits);
        }

        public PlaceOptions withFrameworkId(String f) {
            return new PlaceOptions(strategy, profile, roles, refuseSeconds, portSelection, seed, portBlacklist,
                    gpuScheduling, f, principal, explain, now, drainSeconds, localRegion, limits);
        }

        public PlaceOptions withRefuseSeconds(double r) {
            return new PlaceOptions(strategy, profile, roles, r, portSelection, seed, portBlacklist,
                    gpuScheduling, frameworkId, principal, explain, now, drainSeconds, localRegion, limits);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PlaceRequest(List<Offer> offers, List<Task> tasks, List<RunningTask> running, PlaceOptions options) {
        public PlaceRequest(List<Offer> offers, List<Task> tasks) {
            this(offers, tasks, null, null);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PlacedTask(@JsonProperty("task_id") String taskId, List<Resource> resources, List<Integer> ports,
                             double score, @JsonProperty("executor_resources") List<Resource> executorResources) {}

    public record Accept(@JsonProperty("agent_id") String agentId, String hostname,
                         @JsonProperty("offer_ids") List<String> offerIds, List<PlacedTask> tasks,
                         List<Resource> remaining) {}

    public record Decline(@JsonProperty("offer_id") String offerId,
                          @JsonProperty("refuse_seconds") double refuseSeconds, String reason) {}

    public record Reason(String code, String message, int offers) {}

    public record Nearest(@JsonProperty("agent_id") String agentId, String hostname, List<String> lacking,
                          Map<String, Double> missing) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Unplaced(@JsonProperty("task_id") String taskId, List<Reason> reasons, Nearest nearest) {}

    /** {@code objective} is {@code tasks} or {@code resources}; {@code objectiveValue} its value for the answer. */
    public record Stats(int offers, int tasks, int placed, long evaluations, String objective,
                        @JsonProperty("objective_value") double objectiveValue,
                        @JsonProperty("repair_passes") int repairPasses) {}

    /** What place decides; {@code calls} (with a framework id) are Mesos v1 Call objects to POST as they are. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties({"ok"})
    public record Plan(List<Accept> accept, List<Decline> decline, List<Unplaced> unplaced, List<JsonNode> calls,
                       Stats stats) {}

    @JsonIgnoreProperties({"ok"})
    public record VersionInfo(String version, List<String> ops) {}

    @JsonIgnoreProperties({"ok"})
    public record ParsedConstraints(List<ParsedConstraint> constraints, List<ErrorObject> warnings) {}

    public record ConstraintResult(String text, boolean satisfied) {}

    public record PreferenceResult(String text, double weight, boolean satisfied) {}

    @JsonIgnoreProperties({"ok"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record CheckResult(boolean satisfied, List<ConstraintResult> results, List<PreferenceResult> preferences,
                              Double score, List<ErrorObject> warnings) {}
}
