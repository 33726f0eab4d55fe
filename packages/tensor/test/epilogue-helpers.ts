import { hardSigmoid, hardSwish, leakyRelu, relu, relu6 } from '../src/ops/activation/index.js';
import { FUSED_ACTIVATIONS, type EpilogueSpec, type FusedActivation } from '../src/ops/epilogue.js';
import { randInt } from '../src/random.js';
import type { Tensor } from '../src/tensor.js';

/** 'none' and every fused activation: the choices of a random epilogue. */
export const EPILOGUE_ACTS: readonly (FusedActivation | 'none')[] = ['none', ...FUSED_ACTIVATIONS];

/** A random activation choice. */
export const randomAct = (rand: () => number): FusedActivation | 'none' => EPILOGUE_ACTS[randInt(rand, 0, EPILOGUE_ACTS.length - 1)]!;

/**
 * The spec fields of activation `act`: leakyRelu's alpha 0.1 or a random
 * double float32 cannot hold exactly; hardSigmoid's ONNX defaults (0.2, 0.5)
 * or random alpha and beta (beta sometimes −0).
 */
export function activationFields(act: FusedActivation | 'none', rand: () => number): EpilogueSpec {
  if (act === 'none') return {};
  if (act === 'leakyRelu') return { activation: act, alpha: rand() < 0.5 ? 0.1 : rand() * 2 - 1 };
  if (act === 'hardSigmoid') {
    const r = rand();
    return r < 0.4 ? { activation: act, alpha: 0.2, beta: 0.5 } : { activation: act, alpha: rand() * 2 - 1, beta: r < 0.5 ? -0 : rand() * 2 - 1 };
  }
  return { activation: act };
}

/** The epilogue's activation as its own layer (fast kernel), as an unfused model runs it. */
export function activationLayer(y: Tensor, spec: EpilogueSpec): Tensor {
  switch (spec.activation) {
    case undefined: return y;
    case 'relu': return relu(y);
    case 'relu6': return relu6(y);
    case 'leakyRelu': return leakyRelu(y, spec.alpha!);
    case 'hardSigmoid': return hardSigmoid(y, spec.alpha!, spec.beta!);
    case 'hardSwish': return hardSwish(y);
  }
}
