/**
 * The reverse walk: topological order of the graph, then gradients flow from the output to the
 * leaves, where they accumulate into `.grad` (`+=`, like micrograd and torch).
 *
 * This is also the one place where broadcasting is undone: an op's backward may return a gradient
 * of the broadcast shape, and `sumToShape` reduces it to the input's shape.
 */
import { describeValue } from '../tensor/check.js';
import { allocate, type TensorData } from '../tensor/dtype.js';
import { kernels } from '../kernels/registry.js';
import { recycleFloat32 } from '../tensor/pool.js';
import { planAxes } from '../tensor/kernels/axisReduce.js';
import { fmtShape, sameShape, sizeOf, type Shape } from '../tensor/shape.js';
import { floatData } from './dtypeCheck.js';
import { noGrad } from './gradMode.js';
import { handOver, takeOver } from './handOver.js';
import { hasNodeHooks, runNodeHooks } from './hooks.js';
import { PlacedGrad } from './placedGrad.js';
import { Tensor, type GradFn, type GraphNode } from './tensor.js';

/**
 * Sums `grad` over the axes along which `shape` was broadcast to `grad.shape`:
 * leading axes `shape` lacks, and axes where `shape` has size 1.
 */
export function sumToShape(grad: Tensor, shape: Shape): Tensor {
  if (sameShape(grad.shape, shape)) return grad;
  const lead = grad.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < grad.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && grad.shape[i] !== 1)) axes.push(i);
  }
  const plan = planAxes(grad.shape, axes);
  const acc = new Float64Array(plan.statSize);
  kernels().reduceSum(floatData(grad, 'backward', 'grad'), plan, acc);
  const out = allocate(grad.dtype, sizeOf(shape));
  out.set(acc);
  return handOver(new Tensor(out, shape));
}

/** Every node reachable from `root`, inputs before outputs (iterative DFS over the recorded edges). */
function topologicalOrder(root: GraphNode): GraphNode[] {
  const order: GraphNode[] = [];
  const visited = new Set<GraphNode>([root]);
  const stack: [GraphNode, number][] = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [node, next] = top;
    const edges = isGradFn(node) ? node.next : [];
    if (next < edges.length) {
      top[1] = next + 1;
      const child = edges[next];
      if (child !== null && child !== undefined && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order;
}

/** A grad function (a leaf is a Tensor). */
function isGradFn(node: GraphNode): node is GradFn {
  return !(node instanceof Tensor);
}

/**
 * Adds `g` into the leaf's `.grad`. The first time, the leaf adopts `g` when the engine owns it
 * (`owned`, or handed over: handOver.ts) and it has the leaf's dtype; otherwise `.grad` is a new
 * copy with the leaf's dtype. Later, `g` is added into `.grad` in place (torch's AccumulateGrad).
 */
function accumulateLeaf(leaf: Tensor, g: Tensor, owned: boolean): void {
  // takeOver first: a handed-over gradient of another dtype is then forgotten and copied below.
  if (leaf.grad === null && (owned || takeOver(g)) && g.dtype === leaf.dtype) {
    leaf.grad = g;
  } else if (leaf.grad === null) {
    const data = allocate(leaf.dtype, leaf.size);
    data.set(g.data);
    leaf.grad = new Tensor(data, leaf.shape);
  } else {
    addInto(leaf.grad.data, g.data);
  }
}

/**
 * acc[i] += src[i]: a gradient accumulating in place (acc and src have the same length). Float
 * arrays of one dtype go through the backend's elementwise add (SIMD on wasm; out aliasing a is
 * allowed), the same IEEE sums as the loop.
 */
function addInto(acc: TensorData, src: TensorData): void {
  if ((acc instanceof Float32Array || acc instanceof Float64Array) && acc.constructor === src.constructor) {
    const shape = [acc.length];
    kernels().binary('add', acc, shape, src, shape, shape, acc);
    return;
  }
  for (let i = 0; i < acc.length; i++) acc[i] += src[i]!;
}

/**
 * The gradients waiting at the nodes not reached yet, and which of them the engine owns outright:
 * a handed-over gradient whose storage no other waiting gradient shares, or a sum the engine made.
 * An owned gradient takes further gradients of its node in place (`acc += g`) instead of a new
 * `acc + g` per extra consumer; any other is left untouched, since something else may read it.
 */
class PendingGrads {
  private readonly grads = new Map<GraphNode, Tensor>();
  private readonly owned = new Set<Tensor>();

  constructor(root: GraphNode, seed: Tensor) {
    this.grads.set(root, seed);
  }

  /** Removes and returns the node's complete gradient, and whether the engine owned it. */
  take(node: GraphNode): { g: Tensor; owned: boolean } | undefined {
    const g = this.grads.get(node);
    if (g === undefined) return undefined;
    this.grads.delete(node);
    return { g, owned: this.owned.delete(g) };
  }

  /**
   * Adds the gradients an op's backward returned (already reduced to its inputs' shapes) to their
   * targets. `incoming` is the gradient that backward was given: a returned gradient sharing its
   * storage, or another returned gradient's, is never owned (`add` returns `dy` for both inputs).
   */
  deliver(
    targets: readonly (GraphNode | null)[],
    returned: readonly (Tensor | PlacedGrad | null)[],
    incoming: Tensor,
  ): void {
    targets.forEach((target, k) => {
      const r = returned[k];
      if (target === null || r === null || r === undefined) return;
      const prev = this.grads.get(target);
      // a view's gradient goes straight into its place in an owned sum (split's pieces share one)
      const ownedPrev = prev !== undefined && this.owned.has(prev) && prev.isContiguous();
      if (r instanceof PlacedGrad && ownedPrev && prev.dtype === r.g.dtype) return r.addTo(prev);
      // else written into zeros now: a fresh tensor nothing else holds
      const g = r instanceof PlacedGrad ? handOver(r.materialize()) : r;
      const shared =
        g.storage === incoming.storage ||
        returned.some((o, j) => j !== k && o instanceof Tensor && o.storage === g.storage);
      if (prev === undefined) {
        this.grads.set(target, g);
        if (!shared && takeOver(g)) this.owned.add(g);
      } else if (ownedPrev && prev.dtype === g.dtype) {
        addInto(prev.data, g.data);
      } else {
        this.owned.delete(prev);
        const sum = prev.add(g);
        this.grads.set(target, sum);
        this.owned.add(sum);
      }
    });
  }
}

/**
 * Gives an owned gradient's storage back to the pool (src/tensor/pool.ts) once its op's backward
 * has consumed it: unless a returned gradient is it, a view of it or a window into its buffer,
 * nothing can reach it any more (it was the engine's alone, and no hook was shown it). Called after
 * delivery, which has copied every PlacedGrad's g into a sum, so those do not keep it.
 */
function recycleConsumed(g: Tensor, returned: readonly (Tensor | PlacedGrad | null)[]): void {
  const array = g.storage.array;
  if (!(array instanceof Float32Array)) return;
  for (const r of returned) if (r instanceof Tensor && r.storage.array.buffer === array.buffer) return;
  recycleFloat32(array);
}

/** Implements `Tensor.backward`. */
export function runBackward(root: Tensor, grad: Tensor | undefined, retainGraph: boolean): void {
  if (!root.requiresGrad) {
    throw new Error(
      'backward: this tensor does not require grad and has no grad function ' +
        '(did you call it inside noGrad, or on a detached tensor?)',
    );
  }
  let seed: Tensor;
  if (grad === undefined) {
    if (root.size !== 1) {
      throw new Error(
        `backward: grad can be implicitly created only for outputs with one element; expected a grad ` +
          `tensor of shape ${fmtShape(root.shape)}, got none`,
      );
    }
    seed = new Tensor(allocate(root.dtype, 1).fill(1), root.shape);
  } else {
    if (!(grad instanceof Tensor)) {
      throw new Error(`backward: grad must be a Tensor of shape ${fmtShape(root.shape)}, got ${describeValue(grad)}`);
    }
    if (!sameShape(grad.shape, root.shape)) {
      throw new Error(
        `backward: grad must have the output's shape ${fmtShape(root.shape)}, got ${fmtShape(grad.shape)}`,
      );
    }
    seed = grad;
    takeOver(seed); // the caller keeps the seed: never adopt it, even if an op once handed it over
  }

  const rootNode: GraphNode = root.gradFn ?? root;
  const order = topologicalOrder(rootNode);
  const pending = new PendingGrads(rootNode, seed);
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i]!;
      const arrived = pending.take(node);
      if (arrived === undefined) continue;
      // the node's gradient is complete: tensor hooks may replace it, a retained non-leaf keeps it
      const owned = arrived.owned && !hasNodeHooks(node); // a hook may keep the tensor it is shown
      const g = runNodeHooks(node, arrived.g, 'backward');
      if (!isGradFn(node)) {
        accumulateLeaf(node, g, owned);
        continue;
      }
      const fn = node;
      if (fn.backward === null) {
        throw new Error(
          `backward: trying to backward through the graph a second time (op '${fn.name}'); its saved ` +
            `values were freed by the first backward(). ` +
            `Pass { retainGraph: true } to the first call if you need to backward twice.`,
        );
      }
      // an owned gradient goes on as handed over: a leaf may adopt it if the op passes it through
      if (owned) handOver(g);
      const inputGrads = fn.backward(g);
      if (!retainGraph) fn.backward = null;
      const reduced = fn.next.map((target, k) => {
        const gi = inputGrads[k];
        if (target === null || gi === null || gi === undefined) return null;
        return gi instanceof PlacedGrad ? gi : sumToShape(gi, fn.inputs[k]!.shape);
      });
      pending.deliver(fn.next, reduced, g);
      if (owned) recycleConsumed(g, inputGrads);
    }
  });
}
