import type { Region, Shape } from '@tessera/tensor';

/**
 * The scheduler's TilePlan (packages/scheduler/src/plan/types.ts) as wire
 * data. wire sits below scheduler and cannot import it, so these types repeat
 * its shape: a scheduler TilePlan is assignable to TilePlanData and a decoded
 * TilePlanData is assignable back. Change both together.
 */

/** TilePlan.version; a decoder rejects any other. */
export const TILE_PLAN_VERSION = 1;

export type PlanStrategyName = 'layer-wise' | 'fused' | 'auto';
export type PlanStageKind = 'layer' | 'fused';

export interface TilePlanTaskData {
  readonly id: number;
  /** One region per layer of the stage, in order. */
  readonly regions: readonly Region[];
}

export interface TilePlanStageData {
  readonly kind: PlanStageKind;
  readonly layers: readonly number[];
  readonly tasks: readonly TilePlanTaskData[];
  readonly cut: string;
  readonly flops: number;
  readonly taskFlops: number;
  readonly bytes: number;
  readonly balance: number;
  readonly estimatedMs: number;
}

export interface TilePlanData {
  readonly version: typeof TILE_PLAN_VERSION;
  readonly modelId: string;
  readonly modelName: string;
  readonly inputShape: Shape;
  readonly workers: number;
  readonly strategy: PlanStrategyName;
  /** Output shape of every layer. */
  readonly shapes: readonly Shape[];
  readonly layerNames: readonly string[];
  readonly stages: readonly TilePlanStageData[];
  readonly taskOverheadUs: number;
  readonly stageOverheadUs: number;
}
