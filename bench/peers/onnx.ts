/**
 * The ONNX model writer the benchmarks build their one-node graphs with: it lives in the library
 * (src/onnx/proto.ts, also behind `exportOnnx`), re-exported here for bench/peers.
 */
export * from '../../src/onnx/proto.js';
