import { isMainThread } from 'node:worker_threads';
import { TesseraError } from '../errors.js';
import { checkEnum, checkKeys } from '../options.js';
import { loadNative } from './native.js';

/*
 * Which engine runs the kernels, and in which numeric mode:
 *   kind  'native' (the addon, packages/native) or 'wasm' (WebAssembly SIMD128).
 *         Default: TESSERA_ENGINE if set, else native when the addon loads,
 *         else wasm — the reason printed once per process.
 *   mode  'exact' (default, or TESSERA_ENGINE_MODE): multiply, then add, in the engine's fixed order —
 *         native and wasm give the same bits, so a run may mix them.
 *         'fma': fused multiply-add (native only); the same bits across
 *         tilings, threads and instruction sets, not equal to 'exact'.
 *   isa   the native variant ('avx512', 'avx2', 'generic'): default the best
 *         this CPU runs, or TESSERA_NATIVE_ISA (tests, benchmarks).
 *   threads  intra-op threads (native only; default 1, or TESSERA_ENGINE_THREADS):
 *         a large kernel call (conv, depthwise, pointwise, conv-transpose,
 *         element-wise, global pool, nearest resize) is split across the
 *         calling thread and threads − 1 helper threads of the addon, which
 *         share the engine memory, so nothing is copied. The bits do not
 *         change with it. For one executor on the main thread (LocalExecutor,
 *         and PoolExecutor's auto on its calling thread); a pool's workers
 *         are threads already.
 * An explicit option wins over the environment.
 */
export type EngineKind = 'wasm' | 'native';
export type NumericMode = 'exact' | 'fma';
export interface EngineOptions {
  kind?: EngineKind;
  mode?: NumericMode;
  isa?: string;
  threads?: number;
}

/** The engine a run uses, as recorded in explain output, the face CLI's --json and bench records. */
export interface EngineInfo {
  readonly kind: EngineKind;
  readonly mode: NumericMode;
  /** The native variant; absent on wasm. */
  readonly isa?: string;
  /** Intra-op threads (native; absent: 1). */
  readonly threads?: number;
  /** Why the native engine is not used, when it was not asked for and did not load. */
  readonly fallback?: string;
}

export const ENGINE_OPTION_KEYS = ['kind', 'mode', 'isa', 'threads'] as const;
/** Most intra-op threads (the addon's limit). */
export const MAX_ENGINE_THREADS = 64;
const KINDS: readonly EngineKind[] = ['wasm', 'native'];
const MODES: readonly NumericMode[] = ['exact', 'fma'];

/** Strict check of an `engine` option (unknown keys and values are errors); returns it typed. */
export function checkEngineOptions(what: string, value: unknown): EngineOptions | undefined {
  if (value === undefined) return undefined;
  checkKeys(what, value, ENGINE_OPTION_KEYS);
  const o = value as Record<string, unknown>;
  checkEnum(`${what} kind`, o.kind, KINDS);
  checkEnum(`${what} mode`, o.mode, MODES);
  if (o.isa !== undefined && typeof o.isa !== 'string') {
    throw new TesseraError('BAD_ARGUMENT', `${what} isa must be a string, got ${typeof o.isa}`, { isa: o.isa });
  }
  if (o.threads !== undefined) checkThreads(`${what} threads`, o.threads);
  return o as EngineOptions;
}

function checkThreads(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_ENGINE_THREADS) {
    throw new TesseraError('BAD_ARGUMENT', `${what} must be an integer from 1 to ${MAX_ENGINE_THREADS}, got ${String(v)}`, { threads: v });
  }
  return v;
}

/** The options that resolve to `info` again (another executor on the same engine, e.g. a pool's threads). */
export function engineOptionsOf(info: EngineInfo): EngineOptions {
  return { kind: info.kind, mode: info.mode, ...(info.isa ? { isa: info.isa } : {}), ...(info.threads ? { threads: info.threads } : {}) };
}

let warned = false;

/** Resolves options against the environment and the addon; throws when what was asked for cannot run. */
export function resolveEngine(opts: EngineOptions = {}): EngineInfo {
  const envKind = process.env.TESSERA_ENGINE;
  if (envKind !== undefined && envKind !== '') checkEnum('TESSERA_ENGINE', envKind, KINDS);
  const envIsa = process.env.TESSERA_NATIVE_ISA;
  const kind = opts.kind ?? (envKind ? envKind as EngineKind : undefined);
  const envMode = process.env.TESSERA_ENGINE_MODE;
  if (envMode !== undefined && envMode !== '') checkEnum('TESSERA_ENGINE_MODE', envMode, MODES);
  const mode = opts.mode ?? (envMode ? envMode as NumericMode : 'exact');
  const envThreads = process.env.TESSERA_ENGINE_THREADS;
  const threads = opts.threads !== undefined ? checkThreads('engine threads', opts.threads) : envThreads ? checkThreads('TESSERA_ENGINE_THREADS', Number(envThreads)) : 1;
  const load = loadNative();
  if (kind === 'wasm') {
    if (mode === 'fma') throw new TesseraError('BAD_ARGUMENT', "engine mode 'fma' needs the native engine; the wasm engine computes 'exact' only", { kind, mode });
    if (opts.threads !== undefined && opts.threads > 1) throw new TesseraError('BAD_ARGUMENT', `engine threads ${opts.threads} needs the native engine; the wasm engine runs on the calling thread`, { kind, threads: opts.threads });
    return { kind: 'wasm', mode: 'exact' };
  }
  if (!load.addon) {
    if (kind === 'native' || mode === 'fma' || (opts.threads ?? 1) > 1) {
      throw new TesseraError('UNAVAILABLE', `engine ${kind ?? 'native'} (mode ${mode}) was asked for, but ${load.reason}`, { kind, mode, path: load.path });
    }
    if (!warned && isMainThread) {
      warned = true;
      process.emitWarning(`Tessera runs its kernels on WebAssembly: ${load.reason}`, { code: 'TESSERA_ENGINE_FALLBACK' });
    }
    return { kind: 'wasm', mode: 'exact', fallback: load.reason };
  }
  const isas = load.addon.info().isas;
  const isa = opts.isa ?? (envIsa || isas[0]!);
  if (!isas.includes(isa)) {
    throw new TesseraError('UNAVAILABLE', `native engine variant '${isa}' does not run on this CPU (it runs: ${isas.join(', ')})`, { isa, isas });
  }
  return threads > 1 ? { kind: 'native', mode, isa, threads } : { kind: 'native', mode, isa };
}

/** A short label: 'native avx512 exact', 'native avx512 exact ×2' (intra-op threads), 'wasm exact'. */
export function engineLabel(e: EngineInfo): string {
  return e.kind === 'native' ? `native ${e.isa} ${e.mode}${e.threads ? ` ×${e.threads}` : ''}` : `wasm ${e.mode}`;
}
