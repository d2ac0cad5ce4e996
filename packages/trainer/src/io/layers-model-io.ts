/**
 * Loading and saving tfjs LayersModels from/to a directory with plain @tensorflow/tfjs (the
 * `file://` handler only exists in tfjs-node, which cannot be installed everywhere).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { writeFileAtomic } from './atomic-write.js';

type Tf = typeof tfTypes;
type ModelJson = tfTypes.io.ModelJSON;

export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

/** Reads model.json + its weight shards into ModelArtifacts, with clear errors for bad files. */
export async function readModelArtifacts(modelJsonPath: string): Promise<tfTypes.io.ModelArtifacts> {
  const path = resolve(modelJsonPath);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ModelFileError(
      `cannot read model file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (error) {
    throw new ModelFileError(
      `${path} is not valid JSON (${(error as Error).message}); is the file truncated?`,
    );
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ModelFileError(
      `${path} is not a TensorFlow.js LayersModel (needs modelTopology and weightsManifest)`,
    );
  }
  const specs: tfTypes.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const shard of group.paths) {
      const shardPath = join(dirname(path), shard);
      try {
        buffers.push(await readFile(shardPath));
      } catch (error) {
        throw new ModelFileError(
          `missing weight shard ${shardPath} listed in ${path} (${(error as NodeJS.ErrnoException).code ?? error})`,
        );
      }
    }
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const expected = specs.reduce((sum, s) => {
    const bytesPer = s.dtype === 'int32' || s.dtype === 'float32' ? 4 : s.dtype === 'bool' ? 1 : 4;
    const q = s.quantization ? (s.quantization.dtype === 'uint8' ? 1 : 2) : bytesPer;
    return sum + s.shape.reduce((a, b) => a * b, 1) * q;
  }, 0);
  if (all.byteLength < expected) {
    throw new ModelFileError(
      `weights of ${path} are truncated: ${all.byteLength} bytes, manifest needs ${expected}`,
    );
  }
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    trainingConfig: json.trainingConfig,
    userDefinedMetadata: json.userDefinedMetadata,
    weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
}

/** tf.loadLayersModel for a directory (containing model.json) or a model.json path. */
export async function loadLayersModelFromDir(tf: Tf, dirOrJson: string): Promise<tfTypes.LayersModel> {
  const jsonPath = dirOrJson.endsWith('.json') ? dirOrJson : join(dirOrJson, 'model.json');
  const artifacts = await readModelArtifacts(jsonPath);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new ModelFileError(`cannot build the model in ${jsonPath}: ${(error as Error).message}`);
  }
}

/** model.save() into `dir/model.json` + `dir/weights.bin`, each written atomically. */
export async function saveLayersModelToDir(model: tfTypes.LayersModel, dir: string): Promise<void> {
  await model.save({
    save: async (artifacts) => {
      const weightData = artifacts.weightData;
      const bytes = weightData
        ? Array.isArray(weightData)
          ? Buffer.concat(weightData.map((b) => Buffer.from(b)))
          : Buffer.from(weightData)
        : Buffer.alloc(0);
      // Weights first: a model.json never points at weights that are not fully written.
      await writeFileAtomic(join(dir, 'weights.bin'), bytes);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: 'ferry',
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFileAtomic(join(dir, 'model.json'), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: bytes.byteLength,
        },
      };
    },
  });
}
