import type { Suite } from '../harness/types.js';
import { kernels } from './kernels.js';
import { scaling } from './scaling.js';
import { face } from './face.js';
import { gpu } from './gpu.js';
import { cluster } from './cluster.js';
import { serve } from './serve.js';
import { onnx } from './onnx.js';

/** Every suite the harness knows, in run order. A new suite is one file here plus one line in this list. */
export const SUITES: readonly Suite[] = [kernels, scaling, face, serve, gpu, cluster, onnx];
