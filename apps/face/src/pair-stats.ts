/** One compared pair of face samples: whether they are the same person, and their descriptors' distance. */
export interface Pair { readonly same: boolean; readonly distance: number }

/** What `eval` reports about a set of pairs at a tolerance (a pair is "same" when distance ≤ tolerance). */
export interface PairStats {
  /** Share of pairs called right at the tolerance. */
  accuracy: number;
  /** Different people called the same at the tolerance (false-accept rate), and same people called different (false-reject rate). */
  falseAcceptRate: number;
  falseRejectRate: number;
  /** The threshold where the two error rates are closest (the smaller of equals), and their mean there. */
  equalErrorThreshold: number;
  equalErrorRate: number;
  /** The threshold with the best accuracy (the tolerance itself unless another is strictly better). */
  bestThreshold: number;
  bestAccuracy: number;
  /** True-positive (1 − FRR) and false-positive (FAR) rates at thresholds 0, 0.06, …, 1.2. */
  roc: { threshold: number; tpr: number; fpr: number }[];
}

/** False-accept and false-reject rates at threshold t (0 where a side has no pairs). */
export function errorRates(pairs: readonly Pair[], t: number): { far: number; frr: number } {
  let same = 0, diff = 0, rejected = 0, accepted = 0;
  for (const p of pairs) {
    if (p.same) { same++; if (p.distance > t) rejected++; } else { diff++; if (p.distance <= t) accepted++; }
  }
  return { far: diff ? accepted / diff : 0, frr: same ? rejected / same : 0 };
}

/** Accuracy and error rates at a tolerance, the equal-error and best-accuracy thresholds, and ROC points. */
export function pairStats(pairs: readonly Pair[], tolerance: number): PairStats {
  const acc = (t: number): number => (pairs.length ? pairs.filter((p) => (p.distance <= t) === p.same).length / pairs.length : 0);
  // Every rate changes only at a pair's distance: those are the thresholds worth trying.
  const candidates = [...new Set(pairs.map((p) => p.distance))].sort((a, b) => a - b);
  let bestThreshold = tolerance, bestAccuracy = acc(tolerance);
  let equalErrorThreshold = candidates[0] ?? tolerance, gap = Infinity, equalErrorRate = 0;
  for (const t of candidates) {
    const a = acc(t);
    if (a > bestAccuracy) { bestAccuracy = a; bestThreshold = t; }
    const { far, frr } = errorRates(pairs, t);
    if (Math.abs(far - frr) < gap) { gap = Math.abs(far - frr); equalErrorThreshold = t; equalErrorRate = (far + frr) / 2; }
  }
  const roc = Array.from({ length: 21 }, (_, i) => {
    const t = (i * 1.2) / 20;
    const { far, frr } = errorRates(pairs, t);
    return { threshold: t, tpr: 1 - frr, fpr: far };
  });
  const at = errorRates(pairs, tolerance);
  return { accuracy: acc(tolerance), falseAcceptRate: at.far, falseRejectRate: at.frr, equalErrorThreshold, equalErrorRate, bestThreshold, bestAccuracy, roc };
}

/** `eval`'s text report of PairStats, one line each. */
export function pairStatsLines(r: PairStats, tolerance: number): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `at tolerance ${tolerance}: accuracy ${pct(r.accuracy)}, false accepts ${pct(r.falseAcceptRate)} of different-person pairs, false rejects ${pct(r.falseRejectRate)} of same-person pairs`,
    `equal-error threshold ${r.equalErrorThreshold.toFixed(3)}: error rate ${pct(r.equalErrorRate)}`,
    `best threshold ${r.bestThreshold.toFixed(3)}: accuracy ${pct(r.bestAccuracy)}`,
    'ROC (threshold, true-positive rate, false-positive rate):',
    ...r.roc.map((p) => `  ${p.threshold.toFixed(3)}  ${p.tpr.toFixed(3)}  ${p.fpr.toFixed(3)}`),
  ];
}
