export { createSimulatorBackend } from './backend.js';
export { startSimulatorServer, type SimulatorServer, type SimulatorServerOptions } from './server.js';
