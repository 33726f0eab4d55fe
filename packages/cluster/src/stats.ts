/** What a ClusterExecutor has sent, received and spent; counters since it was made. */
export interface ClusterStats {
  /** Inputs run: each input of a batch or a stream counts as one run. */
  runs: number;
  /** Task messages published, re-sends included. */
  tasksSent: number;
  /** Results accepted (first per task). */
  results: number;
  /** Results for tasks already done (a redelivered task finished twice), dropped. */
  duplicatesDropped: number;
  /** Under verify: results that differed from k agreeing workers' (one per dissenting result). */
  disagreements: number;
  /** Under verify: workers excluded for a disagreeing result, in order; their later results are dropped. */
  excludedWorkers: string[];
  /** Under verify: results dropped for naming a copy never sent or coming from an excluded worker. */
  unsolicited: number;
  /** Tasks re-sent because their result was lost (e.g. across a server restart), or, under verify, one more copy for a tile not yet agreed on. */
  resends: number;
  /** Error results and results that failed to decode or did not match their task. */
  errors: number;
  /** Task bytes published (object-store payloads included); model uploads are in modelBytes. */
  bytesOut: number;
  /** Result bytes received (object-store payloads included). */
  bytesIn: number;
  /** bytesOut / runs and bytesIn / runs: the wire traffic of one input. */
  bytesOutPerInput: number;
  bytesInPerInput: number;
  /**
   * Milliseconds spent in the protocol, summed over tasks: here,
   * encoding and publishing a task until JetStream acked it and decoding and
   * placing its result; on the worker, decoding the task (its reported codec
   * time). Waiting in the queue and the compute itself are not included.
   */
  protocolMs: number;
  /** Workers' compute milliseconds, summed over accepted tasks (wall time on the worker's pool, a wait for a free thread included). */
  computeMs: number;
  /** Milliseconds from a task's publish to its accepted result, summed: protocol, queueing and compute together. */
  roundTripMs: number;
  /** Models uploaded to the object store, and their bytes. */
  modelUploads: number;
  modelBytes: number;
  /** Accepted tasks per worker id. */
  perWorker: Record<string, number>;
}

export function newStats(): ClusterStats {
  return {
    runs: 0, tasksSent: 0, results: 0, duplicatesDropped: 0, disagreements: 0, excludedWorkers: [], unsolicited: 0, resends: 0, errors: 0, bytesOut: 0, bytesIn: 0,
    bytesOutPerInput: 0, bytesInPerInput: 0, protocolMs: 0, computeMs: 0, roundTripMs: 0, modelUploads: 0, modelBytes: 0, perWorker: {},
  };
}

/** Refreshes the per-input figures after a counter changed. */
export function perInput(s: ClusterStats): void {
  s.bytesOutPerInput = s.runs ? s.bytesOut / s.runs : 0;
  s.bytesInPerInput = s.runs ? s.bytesIn / s.runs : 0;
}
