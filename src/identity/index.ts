export { generateAccountKey, generateAdminToken, secretsEqual } from './keys.js';
export { ensureAdminToken, ADMIN_TOKEN_FILE } from './admin-token.js';
