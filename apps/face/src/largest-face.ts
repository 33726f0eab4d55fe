/** The face a single-person command means (enroll, verify, eval): the largest box in the picture. */
export function largestFace<F extends { box: { width: number; height: number } }>(faces: readonly F[]): F {
  return [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0]!;
}
