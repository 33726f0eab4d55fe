/** Stable error codes shared by every Tessera package (DESIGN.md §6). */
export type ErrorCode =
  | 'SHAPE_MISMATCH'
  | 'BAD_ARGUMENT'
  | 'BAD_REGION'
  | 'BAD_MODEL'
  | 'BAD_IMAGE'
  | 'BAD_MESSAGE'
  | 'KERNEL_FAILED'
  | 'WORKER_LOST'
  | 'ABORTED'
  | 'TIMEOUT'
  | 'UNAVAILABLE'
  | 'RESOURCE_EXHAUSTED';

/** The one error class of Tessera: `code` is stable, `message` names the offending value. */
export class TesseraError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TesseraError';
    this.code = code;
    this.details = details;
  }
}

export function isTesseraError(e: unknown, code?: ErrorCode): e is TesseraError {
  return e instanceof TesseraError && (code === undefined || e.code === code);
}

/** Format a shape the way messages print it: [1, 3, 224, 224]. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws BAD_ARGUMENT unless `value` is an integer ≥ `min`; `what` names the field. */
export function checkInt(what: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TesseraError('BAD_ARGUMENT', `${what} must be an integer ≥ ${min}, got ${String(value)}`, { [what]: value });
  }
  return value;
}

/** Throws BAD_ARGUMENT unless `value` is a finite number; `what` names the field. */
export function checkFinite(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TesseraError('BAD_ARGUMENT', `${what} must be a finite number, got ${String(value)}`, { [what]: value });
  }
  return value;
}
