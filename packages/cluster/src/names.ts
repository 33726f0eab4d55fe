/**
 * Where the cluster's messages live. One work-queue stream holds every task
 * (subject `<tasks>.<runId>`, so a run's leftovers can be counted and deleted
 * by subject); all workers share one durable pull consumer on it, so each
 * task goes to exactly one worker at a time. Results travel on plain
 * subjects `<results>.<runId>`; models and oversized payloads sit in one
 * object store bucket; workers answer requests on a presence subject.
 */
export interface ClusterNames {
  /** JetStream work-queue stream holding the tasks (default TESSERA_TASKS). */
  readonly stream: string;
  /** Task subject prefix; tasks go to `<prefix>.<runId>` (default tessera.tasks). */
  readonly tasks: string;
  /** Result subject prefix; results go to `<prefix>.<runId>` (default tessera.results). */
  readonly results: string;
  /** Durable pull consumer shared by all workers (default tessera-workers). */
  readonly consumer: string;
  /** Object store bucket for models and oversized tile payloads (default tessera). */
  readonly bucket: string;
  /**
   * Plain subject every connected worker answers (default tessera.workers): a run that starts
   * while nobody answers fails at once with UNAVAILABLE instead of waiting for noWorkerTimeoutMs.
   */
  readonly presence: string;
}

export const DEFAULT_NAMES: ClusterNames = Object.freeze({
  stream: 'TESSERA_TASKS',
  tasks: 'tessera.tasks',
  results: 'tessera.results',
  consumer: 'tessera-workers',
  bucket: 'tessera',
  presence: 'tessera.workers',
});

export function resolveNames(n: Partial<ClusterNames> = {}): ClusterNames {
  return Object.freeze({ ...DEFAULT_NAMES, ...Object.fromEntries(Object.entries(n).filter(([, v]) => v !== undefined)) });
}

/** A run id is a token safe inside a subject (a UUID in practice). */
export const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function taskSubject(names: ClusterNames, runId: string): string {
  return `${names.tasks}.${runId}`;
}

export function resultSubject(names: ClusterNames, runId: string): string {
  return `${names.results}.${runId}`;
}

/** Object name of a model in the bucket: id and content version (hex SHA-256 of encodeModel's bytes). */
export function modelObjectName(modelId: string, version: string): string {
  return `models/${modelId}/${version}`;
}

/** Object name of a task's oversized inputs or a result's oversized output. */
export function payloadObjectName(runId: string, tileId: number, kind: 'in' | 'out', attempt: number): string {
  return `runs/${runId}/${tileId}.${kind}.${attempt}`;
}
