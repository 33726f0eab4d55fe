import { TesseraError, isTesseraError } from '@tessera/tensor';
import { analysisOptions, type AnalysisOptions } from './analyze-photo.js';

/** The detector's command-line flags, for parseArgs. */
export const DETECTOR_FLAGS = {
  detector: { type: 'string' }, 'min-score': { type: 'string' }, 'input-size': { type: 'string' },
} as const;

/** Their lines in the usage text. */
export const DETECTOR_USAGE = `  --detector D         face detector: ssd (SSD MobileNet v1, the default) | tiny (tiny face detector, faster)
  --min-score S        smallest detection score kept, in (0, 1) (default 0.5)
  --input-size N       the tiny detector's input side, a multiple of 32 (default 416; larger finds smaller faces)`;

export type DetectorChoice = Required<AnalysisOptions>;

/** --detector, --min-score, --input-size → checked analysis options; a bad value is BAD_ARGUMENT naming the flag and the value. */
export function detectorFlags(v: { detector?: string; 'min-score'?: string; 'input-size'?: string }): DetectorChoice {
  const num = (flag: string, text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n)) throw new TesseraError('BAD_ARGUMENT', `${flag} must be a number, got '${text}'`, { [flag]: text });
    return n;
  };
  const o: AnalysisOptions = {};
  if (v.detector !== undefined) o.detector = v.detector as AnalysisOptions['detector'];
  if (v['min-score'] !== undefined) o.minScore = num('--min-score', v['min-score']);
  if (v['input-size'] !== undefined) o.inputSize = num('--input-size', v['input-size']);
  try {
    return analysisOptions(o);
  } catch (e) {
    if (!isTesseraError(e)) throw e;
    const flag = 'detector' in e.details ? '--detector' : 'minScore' in e.details ? '--min-score' : '--input-size';
    throw new TesseraError('BAD_ARGUMENT', `${flag}: ${e.message}`, e.details);
  }
}
