// The floor for bench/startup: node-llama-cpp alone loads the model and answers one chat,
// then idles so its RSS can be read. Usage: node bench/startup/direct.mjs <model.gguf>
import { getLlama, LlamaChatSession } from 'node-llama-cpp';

const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error', maxThreads: 1 });
const model = await llama.loadModel({ modelPath: process.argv[2] });
const context = await model.createContext({ threads: 1, contextSize: 2048 });
const session = new LlamaChatSession({ contextSequence: context.getSequence() });
await session.prompt('Hello', { maxTokens: 8 });
console.log('ready');
setTimeout(() => {}, 60_000);
