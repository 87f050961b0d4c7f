// Types of the package's `Session` class (js/session.mjs): a Mesos framework's scheduler state
// machine, events in, calls out (SESSION.md; docs/session.md). Written by hand: the core reads
// session configs and inputs without serde derives. tests/session.test.mjs type-checks every
// golden transcript's config, inputs and outputs against these declarations.
import type { AttributesInput, Attribute, ErrorObject, Failure, Nearest, PlaceOptions, Reason, Task } from '../pkg/offerfit_wasm.js';

/** A Mesos `TaskState` name. */
export type MesosTaskState =
  | 'TASK_STAGING' | 'TASK_STARTING' | 'TASK_RUNNING' | 'TASK_KILLING' | 'TASK_FINISHED'
  | 'TASK_FAILED' | 'TASK_KILLED' | 'TASK_ERROR' | 'TASK_LOST' | 'TASK_DROPPED'
  | 'TASK_UNREACHABLE' | 'TASK_GONE' | 'TASK_GONE_BY_OPERATOR' | 'TASK_UNKNOWN';

/** The state of a task in the host's store: the session's own two, or a Mesos `TaskState`. */
export type StoredTaskState = 'PENDING' | 'LAUNCHING' | MesosTaskState;

/** `framework` of a session config (SESSION.md, "Config"). */
export interface SessionFramework {
  /** The framework's name (required). */
  name: string;
  /** Its roles (empty: `["*"]`). */
  roles?: string[];
  principal?: string;
  /** The user tasks run as (`""`: the master's). */
  user?: string;
  /** Seconds the master keeps the framework's tasks after it disconnects. */
  failover_timeout?: number;
  checkpoint?: boolean;
  /** The framework id persisted from a `subscribed` notice: given on failover. */
  id?: string;
  hostname?: string;
  webui_url?: string;
  /** Extra `FrameworkInfo.Capability` names (`MULTI_ROLE` is always sent). */
  capabilities?: string[];
}

/** `session` of a session config: timers and switches (seconds). */
export interface SessionTimers {
  offer_hold_seconds?: number;
  idle_refuse_seconds?: number;
  revive_min_interval?: number;
  /** `[first delay, cap]`. */
  reconcile_backoff?: [number, number];
  implicit_reconcile_seconds?: number;
  /** `[first delay, cap]`. */
  resubscribe_backoff?: [number, number];
  offer_constraints?: boolean;
  kill_unknown_tasks?: boolean;
}

/** A task of the host's store, as the notices described it: a `place` Task plus its state. */
export interface StoredTask extends Task {
  state: StoredTaskState;
  agent_id?: string;
  hostname?: string;
  attributes?: AttributesInput;
  region?: string;
  zone?: string;
}

/** A session's config: `new Session(config)`. */
export interface SessionConfig {
  framework: SessionFramework;
  /** Every `place` option except `roles`, `principal`, `framework_id` and `now` (refused). */
  options?: Omit<PlaceOptions, 'roles' | 'principal' | 'framework_id' | 'now'>;
  session?: SessionTimers;
  tasks?: StoredTask[];
}

/** A Mesos v1 scheduler `Event` as the master sends it (snake_case or camelCase). */
export type MesosEvent = { type: string } & Record<string, unknown>;

/** One session input: `now` (Unix seconds, never decreasing) and exactly one kind. */
export type SessionInput = { now: number } & (
  | { connect: Record<string, never> }
  | { event: MesosEvent }
  | { disconnected: Record<string, never> }
  | { submit: Task[] }
  | { kill: string[] }
  | { tick: Record<string, never> }
);

/** The type of a Mesos v1 scheduler `Call` the session sends. */
export type MesosCallType =
  | 'SUBSCRIBE' | 'ACCEPT' | 'DECLINE' | 'REVIVE' | 'SUPPRESS' | 'KILL' | 'ACKNOWLEDGE'
  | 'ACKNOWLEDGE_OPERATION_STATUS' | 'RECONCILE' | 'ACCEPT_INVERSE_OFFERS'
  | 'DECLINE_INVERSE_OFFERS' | 'UPDATE_FRAMEWORK' | 'TEARDOWN';

/** A Mesos v1 scheduler `Call`, ready to POST as JSON (scheduler.proto field names). */
export type MesosCall = { type: MesosCallType; framework_id?: { value: string } } & Record<string, unknown>;

/** Persist `framework_id` before anything else. */
export interface SubscribedNotice { kind: 'subscribed'; framework_id: string }
/** Persist the task as `LAUNCHING` with these fields before POSTing the step's calls. */
export interface LaunchingNotice {
  kind: 'launching';
  task_id: string;
  agent_id: string;
  hostname: string;
  attributes: Attribute[];
  region?: string;
  zone?: string;
}
/** A task's new state; `terminal`: the session forgot it (delete it from the store). */
export interface TaskStateNotice {
  kind: 'task_state';
  task_id: string;
  state: MesosTaskState;
  reason?: string;
  message?: string;
  terminal: boolean;
  /** `false` for a task the session never had. */
  known: boolean;
}
/** A pending task the offers at hand cannot take (when its reasons change). */
export interface UnplacedNotice { kind: 'unplaced'; task_id: string; reasons: Reason[]; nearest?: Nearest }
/** The master's `ERROR` event, or a placement the engine refused. */
export interface ErrorNotice { kind: 'error'; message: string }
/** The reconnect backoff has passed: answer with a `connect` input. */
export interface ReconnectNotice { kind: 'reconnect' }
/** An offer declined because it cannot be read. */
export interface OfferUnreadableNotice { kind: 'offer_unreadable'; offer_id: string; errors: ErrorObject[] }

/** A submitted task taken with something that will not do what it says (`code`
 *  `task_info.unknown_field`: a `task_info` key a master drops, `path` pointing at it). */
export interface WarningNotice {
  kind: 'warning'; task_id: string; code: string; message: string; path: string; help?: string;
}

/** What a step tells the host besides the calls (narrowed by `kind`). */
export type SessionNotice =
  | SubscribedNotice | LaunchingNotice | TaskStateNotice | UnplacedNotice | ErrorNotice
  | ReconnectNotice | OfferUnreadableNotice | WarningNotice;

/** An accepted input: the calls to POST in order, notices, the next `tick` time. */
export interface SessionActions {
  ok: true;
  calls: MesosCall[];
  notices: SessionNotice[];
  wake_at: number | null;
}

/** One step's answer (narrowed by `ok`); a refused input (`Failure`) changed nothing. */
export type SessionOutput = SessionActions | Failure;

/** A refused session config (`new Session`), or the `errors` of any refusal, as an `Error`. */
export declare class OfferfitError extends Error {
  /** Every error (the contract's error objects, `path` into the config). */
  readonly errors: ErrorObject[];
  /** The first error's `code`, e.g. `request.missing_field`. */
  readonly code: string;
  /** The first error's `path` (a JSON pointer), if any. */
  readonly path: string | undefined;
}

/**
 * A framework's scheduler state machine (SESSION.md). Feed it every input, POST the calls of
 * each answer in order, persist what its notices ask before POSTing, `tick` it at `wake_at`.
 * One session per framework instance; it holds wasm memory until `free()` (or until it is
 * garbage-collected).
 */
export declare class Session {
  /**
   * Builds a session from its config (an object, or JSON text).
   * @throws OfferfitError for a refused config (the errors `offerfit session` prints).
   */
  constructor(config: SessionConfig | string);
  /** Answers one input object with one output object. Never throws for bad input. */
  step(input: SessionInput): SessionOutput;
  /** Answers one input line (JSON text) with one output line: `offerfit session`'s bytes. */
  stepText(line: string): string;
  /** Releases the session (idempotent); `step` or `stepText` afterwards throws. */
  free(): void;
  /** Whether `free()` was called. */
  readonly freed: boolean;
}
