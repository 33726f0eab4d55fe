/**
 * The harness' vocabulary. A suite (one file in src/suites/) lists cases;
 * a case offers peers (runtimes doing the same work); the runner checks each
 * peer's output against the case's reference, then times the peers
 * interleaved. The `*Record` types are what run.json holds: keep them in
 * step with schema/run.schema.json (bump SCHEMA_VERSION on any breaking change).
 */

export const SCHEMA_VERSION = 1;

/** Settings every suite sees, from the command line. */
export interface BenchContext {
  readonly quick: boolean;
  /** Thread counts to compare (default 1..availableParallelism). */
  readonly threads: readonly number[];
  /** Timed repeats per peer (a peer may cap its own, see Peer.maxRuns). */
  readonly runs: number;
  readonly warmup: number;
  /** Worker processes for the cluster suite (1..k). */
  readonly workers: number;
  /** Says what is going on (progress line / log), never on stdout of JSON. */
  log(msg: string): void;
}

/** What a timed call may report itself (a peer in another thread measures there, without messaging). */
export interface TimedResult {
  /** Milliseconds measured by the peer; replaces the runner's wall-clock time. */
  readonly ms?: number;
  /** Named sub-times (e.g. pipeline stages), in ms. */
  readonly parts?: Readonly<Record<string, number>>;
}

/** Outcome of a peer's own correctness check (when a plain output comparison does not fit). */
export interface Verdict {
  readonly maxAbs: number;
  readonly maxRel: number;
  readonly ok: boolean;
  readonly note?: string;
}

export interface Peer {
  /** Stable id within a case, e.g. `tessera-fast`, `ort-node-t2`. */
  readonly id: string;
  /** Runtime family: colours and legends group by it (e.g. `tfjs-wasm`). */
  readonly runtime: string;
  /** Human label for tables. */
  readonly label: string;
  readonly threads?: number;
  /** When set, the peer cannot do this case: recorded, not run. */
  readonly unsupported?: string;
  /** When set, the peer is left out of this run (e.g. too slow for --quick): recorded, not run. */
  readonly skip?: string;
  /** Its output IS the case's reference: no check run, error recorded as 0. */
  readonly isReference?: boolean;
  /** Caps the timed repeats of a slow peer (e.g. reference loops). */
  readonly maxRuns?: number;
  /** Untimed, once before anything else of this peer. */
  setup?(): Promise<void> | void;
  /** Untimed, before every timed call (e.g. select a tfjs backend). */
  before?(): Promise<void> | void;
  /** The timed work. */
  run(): Promise<TimedResult | void> | TimedResult | void;
  /** Output of the last run, NCHW float32, compared with the case's reference. */
  output?(): Promise<ArrayLike<number>> | ArrayLike<number>;
  /** A peer-specific check after its first run (used instead of output()). */
  verify?(): Promise<Verdict> | Verdict;
  /** Untimed, after the case. */
  teardown?(): Promise<void> | void;
}

export interface BuiltCase {
  readonly peers: readonly Peer[];
  /** Reference output (Tessera's reference kernel) that peers' outputs are compared with. */
  reference?(): Promise<ArrayLike<number>> | ArrayLike<number>;
  /** Absolute error allowed (default: 1e-4 × max(1, max |reference|)). */
  readonly tolerance?: number;
  /** Frees what the case allocated. */
  dispose?(): Promise<void> | void;
}

/** A case as planned: cheap to list; build() allocates tensors, models, sessions. */
export interface CaseDef {
  readonly id: string;
  readonly title: string;
  /** Chart grouping / axis label (e.g. `conv`, `pool`). */
  readonly group: string;
  readonly params: Readonly<Record<string, number | string | boolean | null>>;
  /** FLOPs of one run (multiply-add = 2), for GFLOP/s; null when not meaningful. */
  readonly flops: number | null;
  /** Where the FLOP count comes from. */
  readonly flopsNote?: string;
  /** Peer id that ratios in the report are taken against. */
  readonly baseline?: string;
  build(ctx: BenchContext): Promise<BuiltCase>;
}

/** A section of Markdown a suite adds to the report, e.g. a summary table. */
export interface ReportSection {
  readonly title: string;
  readonly markdown: string;
}

/** An SVG chart file a suite renders from its results. */
export interface ChartFile {
  /** File name inside the output folder, e.g. `kernels-gflops.svg`. */
  readonly file: string;
  readonly title: string;
  readonly svg: string;
}

export interface Suite {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** What the timed region contains (and what it leaves out), for the report. */
  readonly timed: string;
  /** Cases to run; may throw UNAVAILABLE-style errors, recorded as the suite's error. */
  plan(ctx: BenchContext): Promise<readonly CaseDef[]> | readonly CaseDef[];
  /** Derived numbers per case (e.g. speedup); stored in the case's `metrics`. */
  metrics?(c: CaseRecord): Record<string, number> | undefined;
  summarize?(s: SuiteRecord): readonly ReportSection[];
  charts?(s: SuiteRecord): readonly ChartFile[];
  /** Frees suite-level resources (worker threads, pools) after its cases. */
  teardown?(): Promise<void> | void;
}

// ─────────────── run.json records ───────────────

export type PeerStatus = 'ok' | 'mismatch' | 'unsupported' | 'skipped' | 'error';

export interface Stats {
  readonly n: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly meanMs: number;
  /** flops / median; null without a FLOP count. */
  readonly gflops: number | null;
}

export interface PeerRecord {
  readonly peer: string;
  readonly runtime: string;
  readonly label: string;
  readonly threads: number | null;
  readonly status: PeerStatus;
  /** Why unsupported / the error message / what disagreed. */
  readonly reason: string | null;
  /** Max abs / rel error vs the reference; null when not compared. */
  readonly error: { readonly maxAbs: number; readonly maxRel: number; readonly tolerance: number; readonly note?: string } | null;
  readonly timesMs: readonly number[];
  readonly stats: Stats | null;
  /** Per-part stats (medians etc.) when the peer reports parts. */
  readonly parts: Readonly<Record<string, Stats>> | null;
}

export interface CaseRecord {
  readonly id: string;
  readonly title: string;
  readonly group: string;
  readonly params: Readonly<Record<string, number | string | boolean | null>>;
  readonly flops: number | null;
  readonly flopsNote: string | null;
  readonly baseline: string | null;
  readonly peers: readonly PeerRecord[];
  metrics: Record<string, number> | null;
  readonly durationS: number;
  /** Set when the case could not be built or run at all. */
  readonly error: string | null;
}

export interface SuiteRecord {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly timed: string;
  readonly cases: CaseRecord[];
  error: string | null;
  durationS: number;
}

export interface MachineRecord {
  readonly cpu: { readonly model: string; readonly cores: number; readonly availableParallelism: number; readonly speedMHz: number | null };
  readonly memoryBytes: number;
  readonly node: string;
  readonly v8: string;
  readonly os: { readonly platform: string; readonly release: string; readonly arch: string; readonly type: string };
  readonly packages: Readonly<Record<string, string>>;
  readonly git: { readonly commit: string | null; readonly dirty: boolean | null };
}

export interface RunRecord {
  readonly schemaVersion: number;
  readonly tool: { readonly name: 'tessera-bench'; readonly version: string };
  readonly startedAt: string;
  finishedAt: string;
  durationS: number;
  readonly command: readonly string[];
  readonly settings: { readonly suites: readonly string[]; readonly quick: boolean; readonly threads: readonly number[]; readonly runs: number; readonly warmup: number; readonly workers: number };
  readonly machine: MachineRecord;
  readonly suites: SuiteRecord[];
  /** os.loadavg() (1, 5, 15 min) when the run started and ended: other work on the machine shows here. */
  readonly load: { readonly start: readonly number[]; end: readonly number[] };
  /** Chart files written next to run.json. */
  charts: { readonly file: string; readonly title: string; readonly suite: string }[];
}
