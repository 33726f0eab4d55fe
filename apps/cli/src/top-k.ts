import type { Tensor } from '@tessera/tensor';

/** Where the class scores of a classifier's output come from. */
export type ScoreKind = 'probabilities' | 'softmax of logits';

export interface TopK {
  /** 'probabilities': the output already sums to 1 per sample; 'softmax of logits': softmax applied here. */
  readonly kind: ScoreKind;
  /** Per sample: the k best classes, best first. */
  readonly samples: readonly { readonly index: number; readonly score: number; readonly raw: number }[][];
}

/**
 * Classes per sample when `t` is a classifier output: [N, K] or [N, K, 1, 1]
 * with K ≥ 2; otherwise undefined (a feature map has no top-k).
 */
export function classCount(t: Tensor): number | undefined {
  const s = t.shape;
  const k = s.length === 2 ? s[1]! : s.length === 4 && s[2] === 1 && s[3] === 1 ? s[1]! : undefined;
  return k !== undefined && k >= 2 ? k : undefined;
}

/** A row is already a distribution when it is non-negative and sums to 1 (within float32 rounding). */
const PROB_SUM_TOLERANCE = 1e-3;

/**
 * The k best classes per sample. Scores are softmax probabilities: taken as
 * they are when every row already is a distribution (the model ends in a
 * softmax), else computed from the values as logits — `kind` says which.
 */
export function topK(t: Tensor, k: number): TopK | undefined {
  const classes = classCount(t);
  if (classes === undefined) return undefined;
  const n = t.shape[0]!;
  const src = t.toFloat32Array();
  const rows = Array.from({ length: n }, (_, i) => src.subarray(i * classes, (i + 1) * classes));
  const isDistribution = rows.every((r) => {
    let sum = 0;
    for (const v of r) { if (!(v >= 0)) return false; sum += v; }
    return Math.abs(sum - 1) <= PROB_SUM_TOLERANCE;
  });
  const samples = rows.map((r) => {
    let scores: Float64Array;
    if (isDistribution) scores = Float64Array.from(r);
    else {
      // Softmax in float64, shifted by the maximum so exp never overflows.
      let max = -Infinity;
      for (const v of r) max = Math.max(max, v);
      scores = Float64Array.from(r, (v) => Math.exp(v - max));
      const sum = scores.reduce((a, b) => a + b, 0);
      for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / sum;
    }
    const order = Array.from(r.keys()).sort((a, b) => r[b]! - r[a]! || a - b);
    return order.slice(0, Math.min(k, classes)).map((index) => ({ index, score: scores[index]!, raw: r[index]! }));
  });
  return { kind: isDistribution ? 'probabilities' : 'softmax of logits', samples };
}
