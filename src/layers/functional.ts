/**
 * The `functional` namespace: stateless forms of the layers and the losses.
 */
export {};
