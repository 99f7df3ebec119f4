/**
 * The reverse walk: topological order of the graph, then gradients flow from the output to the
 * leaves, where they accumulate into `.grad` (`+=`, like micrograd and torch).
 *
 * This is also the one place where broadcasting is undone: an op's backward may return a gradient
 * of the broadcast shape, and `sumToShape` reduces it to the input's shape.
 */
import { describeValue } from '../tensor/check.js';
import { allocate } from '../tensor/dtype.js';
import { kernels } from '../kernels/registry.js';
import { planAxes } from '../tensor/kernels/axisReduce.js';
import { fmtShape, sameShape, sizeOf, type Shape } from '../tensor/shape.js';
import { floatData } from './dtypeCheck.js';
import { noGrad } from './gradMode.js';
import { handOver, takeOver } from './handOver.js';
import { runNodeHooks } from './hooks.js';
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
 * Adds `g` into the leaf's `.grad`. The first time, the leaf adopts `g` when it was handed over
 * (handOver.ts) and has the leaf's dtype; otherwise `.grad` is a new copy with the leaf's dtype.
 */
function accumulateLeaf(leaf: Tensor, g: Tensor): void {
  // takeOver first: a handed-over gradient of another dtype is then forgotten and copied below.
  if (leaf.grad === null && takeOver(g) && g.dtype === leaf.dtype) {
    leaf.grad = g;
  } else if (leaf.grad === null) {
    const data = allocate(leaf.dtype, leaf.size);
    data.set(g.data);
    leaf.grad = new Tensor(data, leaf.shape);
  } else {
    const acc = leaf.grad.data;
    const src = g.data;
    for (let i = 0; i < acc.length; i++) acc[i] += src[i]!;
  }
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
  const grads = new Map<GraphNode, Tensor>([[rootNode, seed]]);
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i]!;
      const arrived = grads.get(node);
      grads.delete(node);
      if (arrived === undefined) continue;
      // the node's gradient is complete: tensor hooks may replace it, a retained non-leaf keeps it
      const g = runNodeHooks(node, arrived, 'backward');
      if (!isGradFn(node)) {
        accumulateLeaf(node, g);
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
      const inputGrads = fn.backward(g);
      if (!retainGraph) fn.backward = null;
      fn.next.forEach((target, k) => {
        const gi = inputGrads[k];
        if (target === null || gi === null || gi === undefined) return;
        const reduced = sumToShape(gi, fn.inputs[k]!.shape);
        const prev = grads.get(target);
        grads.set(target, prev === undefined ? reduced : handOver(prev.add(reduced)));
      });
    }
  });
}
