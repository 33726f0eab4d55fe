/*
 * The engine's sigmoid and tanh (kernels/sigmoid.h) written again in scalar
 * JavaScript, each float32 step rounded with Math.fround (a float32 add,
 * multiply or divide done in float64 and rounded once is the float32
 * result): an independent statement of its bits for the tests.
 */

const f = Math.fround;
const MAGIC = 12582912; // 1.5·2^23: adding it rounds to an integer
const LOG2E = f(1.4426950216293335);
const C1 = 0.693359375, C2 = f(-0.00021219444170128554);
const P5 = f(0.00019875691214110702), P4 = f(0.001398199936375022), P3 = f(0.008333452045917511);
const P2 = f(0.04166579619050026), P1 = f(0.1666666567325592);

/** 2^k for k in [−80, 0] at index k + 80 (powers of two, exact). */
const POW2 = Float64Array.from({ length: 81 }, (_, i) => 2 ** (i - 80));

/** e^x for x ≤ 0, as the engine's exp_neg4 (x clamped to −104). */
function expNeg32(x: number): number {
  if (!(x > -104)) x = -104;
  const n = f(f(x * LOG2E) + MAGIC) - MAGIC;
  let r = f(x - f(n * C1));
  r = f(r - f(n * C2));
  const z = f(r * r);
  let y = f(f(P5 * r) + P4);
  y = f(f(y * r) + P3);
  y = f(f(y * r) + P2);
  y = f(f(y * r) + P1);
  y = f(f(y * r) + 0.5);
  y = f(f(y * z) + r);
  y = f(y + 1);
  const n1 = Math.floor(n / 2);
  return f(f(y * POW2[n1 + 80]!) * POW2[n - n1 + 80]!);
}

/** sigmoid of a float32 value `v`, as the engine computes it. */
export function sigmoid32(v: number): number {
  if (v !== v) return v;
  const e = expNeg32(-Math.abs(v));
  return f((v < 0 ? e : 1) / f(1 + e));
}

const T4 = f(-0.0057049887254834175), T3 = f(0.0206390880048275), T2 = f(-0.05373971536755562);
const T1 = f(0.13331441581249237), T0 = f(-0.3333328068256378);

/** tanh of a float32 value `v`, as the engine computes it. */
export function tanh32(v: number): number {
  if (v !== v) return v;
  const a = Math.abs(v);
  if (a < 0.625) {
    const z = f(v * v);
    let p = f(f(T4 * z) + T3);
    p = f(f(p * z) + T2);
    p = f(f(p * z) + T1);
    p = f(f(p * z) + T0);
    return f(f(f(p * z) * v) + v);
  }
  const e = expNeg32(f(a * -2));
  const t = f(f(1 - e) / f(1 + e));
  return v < 0 ? -t : t;
}
