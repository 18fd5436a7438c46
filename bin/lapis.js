#!/usr/bin/env node
// The `lapis` command. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
import('../dist/cli/index.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli')) {
    console.error('lapis: dist/ is missing; run `npm run build` (npm install does it).');
    process.exit(1);
  }
  throw err;
});
