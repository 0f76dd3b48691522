/**
 * The multi-exit CNN architecture as data. One spec drives both the ONNX builder (runtime) and
 * the TensorFlow.js trainer (training), so the two can never disagree on layer order, names or
 * weight shapes.
 *
 * Tensor naming: every layer's output tensor is named after the layer; a stage's output (a
 * partition point) is the output of its last layer, whose name is the stage name; an exit's
 * output (softmax probabilities) is named after the exit.
 *
 * Weight layout (ONNX conventions, the layout the builder consumes):
 * - conv `X`: `X.weight` [outC, inC, k, k] (OIHW), `X.bias` [outC]; padding 'same', stride 1.
 * - fc `X`:   `X.weight` [in, out] (Gemm B, transB=0), `X.bias` [out]; its input is flattened
 *   in NCHW order (c, h, w).
 * - pool: max pooling with TensorFlow's 'same' padding (extra pad at the end).
 * - lrn: ONNX semantics, x / (bias + alpha/size · Σx²)^beta over `size` channels.
 */

/** Layer types with an Edgent regression model (docs/architecture.md §4), plus shape-only glue. */
export type LayerType = 'conv' | 'relu' | 'pool' | 'lrn' | 'dropout' | 'fc' | 'flatten' | 'softmax';

export type LayerDef =
  | { readonly type: 'conv'; readonly name: string; readonly filters: number; readonly kernel: number; readonly stride: 1 }
  | { readonly type: 'relu'; readonly name: string }
  | { readonly type: 'pool'; readonly name: string; readonly kernel: number; readonly stride: number }
  | { readonly type: 'lrn'; readonly name: string; readonly size: number; readonly bias: number; readonly alpha: number; readonly beta: number }
  | { readonly type: 'dropout'; readonly name: string; readonly rate: number }
  | { readonly type: 'flatten'; readonly name: string }
  | { readonly type: 'fc'; readonly name: string; readonly units: number }
  | { readonly type: 'softmax'; readonly name: string };

/** A backbone stage: a partition point sits after its last layer. */
export interface StageDef {
  readonly name: string;
  readonly layers: readonly LayerDef[];
}

/** A classifier exit: a head that branches after `branchStage` backbone stages. */
export interface ExitDef {
  readonly name: string;
  /** Number of backbone stages the exit needs (1-based; the head reads stage `branchStage`'s output). */
  readonly branchStage: number;
  readonly head: readonly LayerDef[];
}

export interface ArchitectureSpec {
  readonly name: string;
  /** Input tensor shape without batch: channels, height, width (NCHW). */
  readonly input: { readonly channels: number; readonly height: number; readonly width: number };
  readonly classes: number;
  readonly stages: readonly StageDef[];
  readonly exits: readonly ExitDef[];
}

/** Options of the BranchyNet-AlexNet family. */
export interface AlexNetOptions {
  /** Input channels (1 for Fashion-MNIST, 3 for CIFAR-10). */
  readonly channels: number;
  /** Input height = width in pixels (28 or 32). */
  readonly size: number;
  /** Number of classes. */
  readonly classes: number;
}

const LRN = { size: 5, bias: 2, alpha: 1e-4, beta: 0.75 } as const; // AlexNet's k=2, α=1e-4, β=0.75, n=5

function convStage(name: string, filters: number, kernel: number): StageDef {
  return {
    name,
    layers: [
      { type: 'conv', name: `${name}_conv`, filters, kernel, stride: 1 },
      { type: 'relu', name },
    ],
  };
}

function sideHead(name: string, classes: number): LayerDef[] {
  return [
    { type: 'conv', name: `${name}_conv`, filters: 16, kernel: 3, stride: 1 },
    { type: 'relu', name: `${name}_relu` },
    { type: 'pool', name: `${name}_pool`, kernel: 3, stride: 2 },
    { type: 'flatten', name: `${name}_flatten` },
    { type: 'fc', name: `${name}_fc`, units: classes },
    { type: 'softmax', name },
  ];
}

/**
 * Edgent's 5-exit BranchyNet-AlexNet: conv5×5/32 → pool → LRN → conv5×5/64 → pool → LRN →
 * conv3×3/96 → conv3×3/96 → conv3×3/64 → pool → fc256 (+dropout) → fc128 → fc classes, with
 * side exits after lrn1, lrn2, conv3 and conv4 (conv3×3/16 → pool → fc classes).
 */
export function alexNetSpec(opts: AlexNetOptions): ArchitectureSpec {
  const { channels, size, classes } = opts;
  for (const [k, v] of Object.entries(opts)) {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`Expected ${k} a positive integer, actually ${v}`);
  }
  if (size < 8) throw new RangeError(`Expected size >= 8 pixels, actually ${size}`);
  const stages: StageDef[] = [
    convStage('conv1', 32, 5),
    { name: 'pool1', layers: [{ type: 'pool', name: 'pool1', kernel: 3, stride: 2 }] },
    { name: 'lrn1', layers: [{ type: 'lrn', name: 'lrn1', ...LRN }] },
    convStage('conv2', 64, 5),
    { name: 'pool2', layers: [{ type: 'pool', name: 'pool2', kernel: 3, stride: 2 }] },
    { name: 'lrn2', layers: [{ type: 'lrn', name: 'lrn2', ...LRN }] },
    convStage('conv3', 96, 3),
    convStage('conv4', 96, 3),
    convStage('conv5', 64, 3),
    { name: 'pool5', layers: [{ type: 'pool', name: 'pool5', kernel: 3, stride: 2 }] },
    {
      name: 'fc1',
      layers: [
        { type: 'flatten', name: 'flatten' },
        { type: 'fc', name: 'fc1_fc', units: 256 },
        { type: 'relu', name: 'fc1_relu' },
        { type: 'dropout', name: 'fc1', rate: 0.5 },
      ],
    },
    {
      name: 'fc2',
      layers: [
        { type: 'fc', name: 'fc2_fc', units: 128 },
        { type: 'relu', name: 'fc2' },
      ],
    },
  ];
  const exits: ExitDef[] = [
    { name: 'exit1', branchStage: 3, head: sideHead('exit1', classes) },
    { name: 'exit2', branchStage: 6, head: sideHead('exit2', classes) },
    { name: 'exit3', branchStage: 7, head: sideHead('exit3', classes) },
    { name: 'exit4', branchStage: 8, head: sideHead('exit4', classes) },
    {
      name: 'exit5',
      branchStage: 12,
      head: [
        { type: 'fc', name: 'fc3', units: classes },
        { type: 'softmax', name: 'exit5' },
      ],
    },
  ];
  return { name: `branchynet-alexnet-${channels}x${size}x${size}`, input: { channels, height: size, width: size }, classes, stages, exits };
}
